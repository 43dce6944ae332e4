"""News-aware OpenCC configs: OpenCC's own config with our phrases inside its segmentation.

OpenCC converts in two passes: a longest-match segmentation, then a chain of dictionary steps
applied to each segment. Our phrase table goes into both, in a `union` group placed before
OpenCC's dictionaries: the longest key wins and, at equal length, ours. So a longer OpenCC
phrase (文件夹 → 資料夾) still wins over our shorter word (文件 → 文件), and our phrases
(半导体 → 半導體) keep the segmenter from cutting across words (半导|体制|造).

The table, lowest precedence first: the shipped phrase dictionaries of the config, the
Taiwan ⇄ mainland word pairs (for s2twp and tw2sp, each pair read in the config's direction),
the shipped names, then the site's `scripts.protected_terms` (kept verbatim).

Making the table and the config files takes about 0.6 s for a config from Simplified (two
more OpenCC configs are loaded to write them), in every process that converts. So the files
are kept in a cache folder ($XDG_CACHE_HOME/publisher/opencc, else ~/.cache/…), one folder
per set of inputs (OpenCC's release and files, the config, our dictionaries, the protected
terms); a process whose inputs match one only loads it. Without a writable cache folder, the
files are made in a temporary folder as before.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import opencc

from publisher.errors import DictionaryError
from publisher.files import cache_home, sync

# Which shipped dictionaries each config reads, lowest precedence first; names come last.
DICTIONARIES: dict[str, tuple[str, ...]] = {
    "tw2sp": ("tw2sp",),
    "hk2s": (),
    "t2s": (),
    "s2twp": ("s2t", "s2twp"),
    "s2hk": ("s2t",),
    "s2t": ("s2t",),
    "s2tw": ("s2t",),
    "tw2s": (),
}
TO_SIMPLIFIED = frozenset({"tw2sp", "hk2s", "t2s"})
# Taiwan ⇄ mainland word pairs (`Taiwan<TAB>mainland`), read both ways: the mainland form is
# the key from Simplified, the Taiwan form the key from Traditional.
_PAIRED = frozenset({"s2twp", "tw2sp"})
# A dictionary word given without a target takes its standard character form: the config
# without its regional phrase table.
_PLAIN = {"tw2sp": "tw2s", "s2twp": "s2tw"}
# The first step of a config from Simplified is s2t, whose 49,000 phrases can take a segment
# longer than our word (联合声明 → 聯合聲明): the last step then sees the word in Traditional
# form, so it gets our target under that form too.
_FIRST_STEP = {"s2twp": "s2t", "s2hk": "s2t", "s2tw": "s2t"}
_OPENCC_SHARE = Path(opencc.__file__).parent / "clib" / "share" / "opencc"


def dictionary_path(name: str) -> Path:
    return Path(str(resources.files("publisher.articles") / "dictionaries" / f"{name}.txt"))


def read_dictionary(path: Path) -> list[tuple[str, str | None]]:
    """(source, target or None) pairs of a dictionary file: `source[<TAB>target]` per line."""
    pairs: list[tuple[str, str | None]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split("#", 1)[0].strip().split("\t")
        if fields == [""]:
            continue
        if len(fields) > 2 or any(not field or field != field.strip() for field in fields):
            raise DictionaryError(path, number, "expected `source` or `source<TAB>target`")
        if any(char.isspace() for field in fields for char in field):
            raise DictionaryError(path, number, "a term cannot contain white space")
        pairs.append((fields[0], fields[1] if len(fields) == 2 else None))
    return pairs


# A site's own pairs (`scripts.phrases_file`, `Traditional<TAB>Simplified` lines as in names.txt).
SitePairs = tuple[tuple[str, str | None], ...]


def _both_ways(config: str, pairs: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Each pair written in either script comes out in the target script's listed form."""
    table: dict[str, str] = {}
    for traditional, simplified in pairs:
        written = {traditional, simplified or traditional}
        target = (simplified or traditional) if config in TO_SIMPLIFIED else traditional
        table |= dict.fromkeys(written, target)
    return table


def _pairs(config: str) -> dict[str, str]:
    """The config's side of each Taiwan ⇄ mainland pair: 雲端運算 ⇄ 云计算, 行動裝置 ⇄ 移动设备."""
    if config not in _PAIRED:
        return {}
    pairs = read_dictionary(dictionary_path("taiwan"))
    both = [(taiwan, mainland or taiwan) for taiwan, mainland in pairs]
    if config in TO_SIMPLIFIED:
        return dict(both)
    return {mainland: taiwan for taiwan, mainland in both}


@cache
def phrase_table(
    config: str, protected: tuple[str, ...] = (), site: SitePairs = ()
) -> dict[str, str]:
    """Source phrase → its form in the target script, for one OpenCC config; the site's own
    pairs (editors' accepted reports) over ours, its protected terms over all."""
    plain = opencc.OpenCC(_PLAIN.get(config, config))
    table: dict[str, str] = {}
    for name in DICTIONARIES[config]:
        for source, target in read_dictionary(dictionary_path(name)):
            table[source] = target if target is not None else plain.convert(source)
    names = read_dictionary(dictionary_path("names"))
    table |= _pairs(config) | _both_ways(config, names) | _both_ways(config, site)
    # A target is a fixed point, so converting a result again changes nothing more: 支援災區 →
    # 支援灾区 must not read 支援 as OpenCC's software word (支持) once 災區 is 灾区.
    table = {target: target for target in table.values()} | table
    # A term OpenCC would split at a space is kept piece by piece (SK 海力士 → 海力士).
    return table | {piece: piece for term in protected for piece in term.split()}


def signature(config: str, table: dict[str, str]) -> str:
    """Names the exact conversion: OpenCC's release, its config and our whole table."""
    content = json.dumps([opencc.__version__, config, sorted(table.items())], ensure_ascii=False)
    return f"{config}:{hashlib.sha256(content.encode()).hexdigest()[:12]}"


def _as_first_step_leaves_it(config: str, table: dict[str, str]) -> dict[str, str]:
    if config not in _FIRST_STEP:
        return {}
    first = opencc.OpenCC(_FIRST_STEP[config])
    return {first.convert(source): target for source, target in table.items()}


def _with_absolute_paths(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _with_absolute_paths(value) for key, value in node.items()}
        if node.get("type") == "ocd2":
            node["file"] = str(_OPENCC_SHARE / node["file"])
        return node
    if isinstance(node, list):
        return [_with_absolute_paths(value) for value in node]
    return node


def _phrase_dictionaries(node: Any) -> list[dict[str, Any]]:
    """OpenCC's phrase dictionaries inside `node` (character tables would cut every word)."""
    if node.get("type") == "group":
        return [found for child in node["dicts"] for found in _phrase_dictionaries(child)]
    return [node] if "Phrases" in Path(node.get("file", "")).name else []


def _ahead_of(ours: Path, dictionary: dict[str, Any]) -> dict[str, Any]:
    mine = {"type": "text", "file": ours.name}
    return {"type": "group", "match_policy": "union", "dicts": [mine, dictionary]}


def news_config(config: str, table: dict[str, str], folder: Path) -> Path:
    """Write OpenCC's `config` with `table` inside it into `folder`; return the JSON's path.

    Steps before the last keep our phrases as they are (identity), so the last step sees the
    whole phrase and gives its target: OpenCC keeps segments across steps.
    """
    base = json.loads((_OPENCC_SHARE / f"{config}.json").read_text(encoding="utf-8"))
    spec = _with_absolute_paths(copy.deepcopy(base))
    # Our files are named relative to the JSON (OpenCC looks beside it), so the folder can move.
    same, targets = folder / "same.txt", folder / "targets.txt"
    same.write_text("".join(f"{key}\t{key}\n" for key in table), encoding="utf-8")
    last = _as_first_step_leaves_it(config, table) | table
    targets.write_text("".join(f"{k}\t{v}\n" for k, v in last.items()), encoding="utf-8")
    steps = spec["conversion_chain"]
    if "segmentation" in spec:
        # The segmenter also sees the first step's phrases (tw2sp: 執行長 → 首席执行官), or
        # our shorter word (執行) would cut a segment that OpenCC's phrase needs whole.
        segmentation = spec["segmentation"]
        union = _ahead_of(targets, segmentation["dict"])
        union["dicts"] += _phrase_dictionaries(steps[0]["dict"])
        segmentation["dict"] = union
    for number, step in enumerate(steps, start=1):
        step["dict"] = _ahead_of(targets if number == len(steps) else same, step["dict"])
    path = folder / f"{config}.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Prepared:
    """A news-aware config on disk: its JSON file and the signature of its table."""

    path: Path
    signature: str


def cache_folder() -> Path:
    return cache_home() / "opencc"


def stock_inputs(config: str) -> str:
    """Names OpenCC's own `config` as installed: what anything worked out from it is kept
    under in the cache folder."""
    made_of = json.dumps([opencc.__version__, str(_OPENCC_SHARE), config]).encode()
    return f"{config}-{hashlib.sha256(made_of).hexdigest()[:20]}"


def _inputs(config: str, protected: tuple[str, ...], site: SitePairs) -> str:
    """Names everything the config files are made from; a change to any makes a new name.
    The "2" is the folder's layout: its `signature` file lists each file's digest."""
    made_of = hashlib.sha256(
        json.dumps([opencc.__version__, str(_OPENCC_SHARE), config, protected, 2]).encode()
    )
    if site:
        made_of.update(json.dumps(site, ensure_ascii=False).encode())
    paired = ("taiwan",) if config in _PAIRED else ()
    for name in (*DICTIONARIES[config], *paired, "names"):
        made_of.update(dictionary_path(name).read_bytes())
    return f"{config}-{made_of.hexdigest()[:20]}"


def _write(config: str, protected: tuple[str, ...], site: SitePairs, folder: Path) -> Prepared:
    """The config's files in `folder`, and last the `signature` file: the table's signature,
    then the digest of each other file, by which a reader checks them (`_trusted`)."""
    table = phrase_table(config, protected, site)
    made = Prepared(news_config(config, table, folder), signature(config, table))
    sums = [f"{_digest(path)} {path.name}\n" for path in sorted(folder.iterdir())]
    (folder / "signature").write_text("".join([made.signature, "\n", *sums]), encoding="utf-8")
    return made


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _trusted(folder: Path, config: str) -> Prepared | None:
    """The config's files in the cache `folder` when each reads as it was written: a folder
    a power cut or a hand damaged (a file empty, cut short or gone) is not used."""
    try:
        table_signature, *sums = (folder / "signature").read_text("utf-8").splitlines()
        listed = dict(line.split(" ", 1)[::-1] for line in sums)
        whole = all(_digest(folder / name) == digest for name, digest in listed.items())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not whole or f"{config}.json" not in listed or not table_signature.startswith(f"{config}:"):
        return None
    return Prepared(folder / f"{config}.json", table_signature)


def _cached(config: str, protected: tuple[str, ...], site: SitePairs) -> Prepared:
    """The config's files from the cache, made and put there first when missing or not
    whole. A folder is made durable before it is renamed into place whole, so a reader
    never sees half of one; racing processes each make their own and the first rename
    wins. Raises OSError when the cache cannot be used."""
    folder = cache_folder() / _inputs(config, protected, site)
    found = _trusted(folder, config)
    if found is not None:
        return found
    shutil.rmtree(folder, ignore_errors=True)  # damaged: made again
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".new-") as new:
        made = _write(config, protected, site, Path(new))
        for path in [*Path(new).iterdir(), Path(new)]:
            sync(path)
        try:
            Path(new).rename(folder)
        except OSError:
            found = _trusted(folder, config)
            if found is None:  # not a race lost: a real failure
                raise
            return found
        sync(folder.parent)
    return Prepared(folder / made.path.name, made.signature)


class Engine:
    """The news-aware OpenCC of a config and the signature of its table. OpenCC reads its
    dictionaries when it is made (0.1 s a config), so it is made at the first conversion:
    a build that shows stored conversions needs the signatures alone. Without a usable
    cache the files are made for this process only, and OpenCC at once."""

    def __init__(self, config: str, protected: tuple[str, ...] = (), site: SitePairs = ()) -> None:
        self._config, self._protected, self._site = config, protected, site
        self._opencc: opencc.OpenCC | None = None
        try:
            self._made = _cached(config, protected, site)
        except OSError:
            self._opencc = self._made_apart()
        self.signature = self._made.signature

    def convert(self, text: str) -> str:
        if self._opencc is None:
            try:
                self._opencc = opencc.OpenCC(str(self._made.path))
            except RuntimeError:  # OpenCC's word for a file gone: the cache was emptied since
                self._opencc = self._made_apart()
        result: str = self._opencc.convert(text)
        return result

    def _made_apart(self) -> opencc.OpenCC:
        with tempfile.TemporaryDirectory(prefix="publisher-opencc-") as folder:
            self._made = _write(self._config, self._protected, self._site, Path(folder))
            return opencc.OpenCC(str(self._made.path))


@cache
def engine(config: str, protected: tuple[str, ...] = (), site: SitePairs = ()) -> Engine:
    return Engine(config, protected, site)
