"""Effect exports: native .rtsynth (the core, C ABI and plugins), TorchScript (nn~), ONNX."""
