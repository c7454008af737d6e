"""DDSP exports: native .rtsynth, TorchScript (nn~), streaming ONNX."""
