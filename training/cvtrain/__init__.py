"""Training toolchain of cv-pipeline: members, ensemble pool, ONNX export, evaluation."""
