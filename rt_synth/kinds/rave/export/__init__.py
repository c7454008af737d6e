"""RAVE-style exports: native .rtsynth, TorchScript (nn~), streaming ONNX, measurements."""
