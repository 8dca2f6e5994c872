"""Reading every common source losslessly, and writing the curated set back in its shape.

- ``source``: resolve a file, folder of shards, Hugging Face folder, stdin or in-memory data.
- ``jsontext``, ``csvtext``, ``arrowdata``, ``pylist``: container readers that keep original
  bytes/values (``records`` is what they yield).
- ``reader``: validated examples in batches, the record format decided on the whole input.
- ``rows``, ``writer``, ``jsonout``: exports that keep the source's shape (see ``writer``'s
  docstring for what is preserved).
"""

from curation.io.reader import FormatChanged, Reader, read_all
from curation.io.source import KINDS, Source, open_source

__all__ = ["FormatChanged", "KINDS", "Reader", "Source", "open_source", "read_all"]
