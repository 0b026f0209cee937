"""A helper process that does half of a large knowledge base's work on the second core.

`python -m knowledge.worker` reads pickled (lang, title, examples, body) tuples on stdin
and writes the encoded rows (see `knowledge.corpus`) to stdout; `python -m
knowledge.worker embed` reads a pickled list of texts and writes their sentence vectors
(see `knowledge.semantic`). It is a plain subprocess
rather than multiprocessing: spawn would re-import the caller's main module in the
child (re-running any unguarded script), and fork is unsafe in a threaded bot.
"""

import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowledge.articles import Article

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class Helper:
    """One helper process working on some articles while the caller does the rest."""

    def __init__(self, articles: Sequence[Article] = (), *, texts: Sequence[str] = ()) -> None:
        """Tokenize `articles`, or (given `texts`) embed the texts."""
        task = ["embed"] if texts else []
        payload = pickle.dumps(
            list(texts) if texts else [(a.lang, a.title, a.examples, a.body) for a in articles],
            protocol=5,
        )
        env = dict(os.environ)
        # The child must import this package even when it is not installed (a checkout).
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "knowledge.worker", *task],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        # Feed it from a thread: the pipe holds 64 KiB, the payload megabytes.
        self._writer = threading.Thread(target=self._feed, args=(payload,), daemon=True)
        self._writer.start()

    def _feed(self, payload: bytes) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(payload)
        except OSError:
            pass  # the child died; result() reports it
        finally:
            stdin.close()

    def result(self) -> Any:
        """The child's encoded rows; raises RuntimeError if it failed."""
        assert self._process.stdout is not None and self._process.stderr is not None
        try:
            output = self._process.stdout.read()
            errors = self._process.stderr.read()
            code = self._process.wait()
        finally:
            if self._process.poll() is None:
                self._process.kill()
            self._writer.join(timeout=1)
        if code != 0 or not output:
            raise RuntimeError(f"indexing helper exited with {code}: {errors[-2000:]!r}")
        return pickle.loads(output)


def main() -> None:
    """The child: encode the articles (or embed the texts) read from stdin, write the
    result to stdout."""
    items = pickle.load(sys.stdin.buffer)
    if sys.argv[1:] == ["embed"]:
        from knowledge.semantic import load_encoder

        encoder = load_encoder()
        if encoder is None:
            raise SystemExit("the sentence encoder is not installed")
        result: Any = encoder.encode(items)
    else:
        from knowledge.corpus import encode_parts

        result = encode_parts(items)
    pickle.dump(result, sys.stdout.buffer, protocol=5)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
