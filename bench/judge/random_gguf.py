"""Write a GGUF with the Llama 3.1 8B architecture and random weights, to measure judge speed at
8B size where no 8B model can be downloaded. It says nothing about quality.

The tokenizer and chat template are the bundled SmolLM2's (so its 49,152-token vocabulary
replaces Llama 3.1's 128,256: the output layer is 0.4 B parameters instead of 1.05 B). Weights
are F16 and every layer shares the same random tensors (speed does not depend on the values).

    python bench/judge/random_gguf.py /tmp/llama8b-random.gguf            # 8B shape, ~15 GB
    python bench/judge/random_gguf.py /tmp/tiny.gguf --layers 2 --hidden 256 --ffn 512   # a quick check
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def tokenizer_fields(reader) -> dict:
    """tokenizer.* key/values of a GGUF, decoded."""
    import gguf
    out = {}
    for name, field in reader.fields.items():
        if not name.startswith("tokenizer."):
            continue
        types = field.types
        if types[0] == gguf.GGUFValueType.ARRAY:
            if types[-1] == gguf.GGUFValueType.STRING:
                out[name] = [bytes(field.parts[i]).decode("utf-8", "replace") for i in field.data]
            else:
                out[name] = [field.parts[i].tolist()[0] for i in field.data]
        elif types[0] == gguf.GGUFValueType.STRING:
            out[name] = bytes(field.parts[field.data[0]]).decode("utf-8", "replace")
        else:
            out[name] = field.parts[field.data[0]].tolist()[0]
    return out


def main() -> None:
    import gguf
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=4096)
    ap.add_argument("--ffn", type=int, default=14336)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=8)
    ap.add_argument("--tokenizer-from", type=Path, help="GGUF to copy the tokenizer from (default: bundled SmolLM2)")
    args = ap.parse_args()
    if args.tokenizer_from is None:
        from reportgen.judge.local import default_model_path
        args.tokenizer_from = default_model_path()
    tok = tokenizer_fields(gguf.GGUFReader(args.tokenizer_from))
    vocab = len(tok["tokenizer.ggml.tokens"])

    w = gguf.GGUFWriter(str(args.out), "llama")
    w.add_name("random-llama-3.1-8b-shape")
    w.add_context_length(8192)
    w.add_embedding_length(args.hidden)
    w.add_block_count(args.layers)
    w.add_feed_forward_length(args.ffn)
    w.add_head_count(args.heads)
    w.add_head_count_kv(args.kv_heads)
    w.add_rope_dimension_count(args.hidden // args.heads)
    w.add_rope_freq_base(500000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(vocab)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    for key, value in tok.items():
        if isinstance(value, list):
            w.add_array(key, value)
        elif isinstance(value, str):
            w.add_string(key, value)
        elif isinstance(value, bool):
            w.add_bool(key, value)
        elif isinstance(value, int):
            w.add_uint32(key, value)
        else:
            w.add_float32(key, float(value))

    rng = np.random.default_rng(0)

    def rand(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float16)

    h, f, kv = args.hidden, args.ffn, args.hidden // args.heads * args.kv_heads
    w.add_tensor("token_embd.weight", rand(vocab, h))
    layer = {"attn_q.weight": rand(h, h), "attn_k.weight": rand(kv, h), "attn_v.weight": rand(kv, h),
             "attn_output.weight": rand(h, h), "ffn_gate.weight": rand(f, h), "ffn_up.weight": rand(f, h),
             "ffn_down.weight": rand(h, f)}
    norm = np.ones(h, dtype=np.float32)
    for i in range(args.layers):
        w.add_tensor(f"blk.{i}.attn_norm.weight", norm)
        w.add_tensor(f"blk.{i}.ffn_norm.weight", norm)
        for name, t in layer.items():
            w.add_tensor(f"blk.{i}.{name}", t)
    w.add_tensor("output_norm.weight", norm)
    w.add_tensor("output.weight", rand(vocab, h))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    params = vocab * h * 2 + args.layers * (2 * h * h + 2 * kv * h + 3 * f * h)
    print(f"wrote {args.out}: {params / 1e9:.2f} B parameters, {args.out.stat().st_size / 2**30:.1f} GiB")


if __name__ == "__main__":
    main()
