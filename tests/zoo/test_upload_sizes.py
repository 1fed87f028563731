"""Uploads whose declared sizes would cost the server gigabytes are refused from those declarations, before torch
or safetensors allocates anything: a torch.save zip of compressed zeros, a safetensors header of 700,000 tensors."""
import io
import json
import time
import zipfile

import pytest
import torch
from safetensors.torch import save as save_safetensors_bytes

from explorer.zoo import checkpoint, your_model
from explorer.zoo.checkpoint import MAX_CHECKPOINT_BYTES


def _refused_fast(call, match: str) -> None:
    began = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        call()
    assert time.perf_counter() - began < 1


def zip_bomb() -> bytes:
    """torch.save's zip with its storage entry replaced by deflated zeros: a few hundred KB that declare more than
    twice the limit."""
    buffer = io.BytesIO()
    torch.save({"weight": torch.zeros(4)}, buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as small, zipfile.ZipFile(out, "w") as bomb:
        for info in small.infolist():
            if "/data/" not in info.filename:
                bomb.writestr(info, small.read(info.filename))
                continue
            storage = zipfile.ZipInfo(info.filename)
            storage.compress_type = zipfile.ZIP_DEFLATED
            with bomb.open(storage, "w", force_zip64=True) as entry:
                zeros = bytes(2**22)
                for _ in range(2 * MAX_CHECKPOINT_BYTES // len(zeros)):
                    entry.write(zeros)
    return out.getvalue()


def test_a_torch_zip_that_unpacks_past_the_limit_is_refused_from_its_directory():
    raw = zip_bomb()
    assert len(raw) < MAX_CHECKPOINT_BYTES // 10
    _refused_fast(lambda: your_model.read_tensors(raw, "bomb.pt"), r"bomb\.pt would unpack to \d+ MB; the limit "
                                                                   r"is 64 MB\.")


def safetensors_with(count: int) -> bytes:
    entries = (f'"t{i}":{{"dtype":"F32","shape":[1],"data_offsets":[{4 * i},{4 * i + 4}]}}' for i in range(count))
    text = ("{" + ",".join(entries) + "}").encode()
    return len(text).to_bytes(8, "little") + text + bytes(4 * count)


def test_a_safetensors_header_of_700000_tensors_is_refused_before_safetensors_reads_it():
    raw = safetensors_with(700_000)
    _refused_fast(lambda: your_model.read_tensors(raw, "many.safetensors"),
                  r"many\.safetensors lists \d+ tensors; the limit is 10000\.")
    _refused_fast(lambda: checkpoint.check_safetensors_header(raw, "many.safetensors"), "lists")


def test_a_safetensors_header_declaring_more_than_the_limit_is_refused():
    header = {"w": {"dtype": "F32", "shape": [2**16, 2**16], "data_offsets": [0, 4]}}
    text = json.dumps(header).encode()
    raw = len(text).to_bytes(8, "little") + text + bytes(4)
    _refused_fast(lambda: your_model.read_tensors(raw, "big.safetensors"),
                  r"big\.safetensors declares 16384 MB of tensors; the limit is 64 MB\.")


def test_a_header_too_large_is_refused():
    text = json.dumps({"__metadata__": {"note": "x" * (checkpoint.MAX_HEADER_BYTES + 10)}}).encode()
    raw = len(text).to_bytes(8, "little") + text
    _refused_fast(lambda: your_model.read_tensors(raw, "long.safetensors"), r"has a header of \d+ MB")


def test_ordinary_files_pass_the_checks():
    tensors = {"weight_ih_l0": torch.randn(8, 3), "weight_hh_l0": torch.randn(8, 8)}
    raw = save_safetensors_bytes(tensors)
    checkpoint.check_safetensors_header(raw, "ok.safetensors")
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    checkpoint.check_torch_zip(buffer.getvalue(), "ok.pt")
    assert set(your_model.read_tensors(buffer.getvalue(), "ok.pt")) == set(tensors)
    checkpoint.check_torch_zip(b"not a zip", "odd.pt")  # left to torch.load and its own sentence
