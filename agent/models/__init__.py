"""The model side: naming and reaching a model, the embedded local model, its llama.cpp server, `jsolve serve` and the saved prompt prefix."""
