"""Estimates computed in Python where SQL cannot: GGUF file sizes from a model's architecture.

`tensors` lists the tensors config.json implies, `recipes` types them by llama.cpp's rules,
`sizes` adds them up and stores the result in `quant_size_estimates` for the views.
"""
