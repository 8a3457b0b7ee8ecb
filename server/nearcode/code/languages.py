"""Which language a file is, and which tree-sitter nodes are its definitions.

The chunker is generic; this table is the per-language knowledge it needs. Node types were read
off the grammars in tree-sitter-language-pack 0.13.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from ..errors import InvalidInput


@dataclass(frozen=True)
class LanguageSpec:
    """How to chunk one language.

    `functions` are leaf items (split by lines only when oversized); `classes` are items whose
    member definitions become chunks of their own; `namespaces` only group other items and are
    always looked into. `grammar` is the tree-sitter-language-pack name, or None for line windows.
    """

    name: str
    extensions: tuple[str, ...]
    grammar: str | None = None
    functions: frozenset[str] = field(default_factory=frozenset)
    classes: frozenset[str] = field(default_factory=frozenset)
    namespaces: frozenset[str] = field(default_factory=frozenset)
    comments: frozenset[str] = frozenset({"comment"})


def _s(*names: str) -> frozenset[str]:
    return frozenset(names)


_JS_FUNCS = _s(
    "function_declaration", "generator_function_declaration", "method_definition",
    "lexical_declaration", "variable_declaration", "expression_statement",
)
_TS_EXTRA = _s(
    "interface_declaration", "type_alias_declaration", "enum_declaration",
    "function_signature", "abstract_method_signature",
)

SPECS: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        "python", (".py", ".pyi", ".pyw"), "python",
        functions=_s("function_definition", "decorated_definition"),
        classes=_s("class_definition"),
    ),
    LanguageSpec(
        "javascript", (".js", ".mjs", ".cjs", ".jsx"), "javascript",
        functions=_JS_FUNCS, classes=_s("class_declaration", "class"),
    ),
    LanguageSpec(
        "typescript", (".ts", ".mts", ".cts"), "typescript",
        functions=_JS_FUNCS | _TS_EXTRA,
        classes=_s("class_declaration", "abstract_class_declaration"),
        namespaces=_s("internal_module", "module"),
    ),
    LanguageSpec(
        "tsx", (".tsx",), "tsx",
        functions=_JS_FUNCS | _TS_EXTRA,
        classes=_s("class_declaration", "abstract_class_declaration"),
        namespaces=_s("internal_module", "module"),
    ),
    LanguageSpec(
        "go", (".go",), "go",
        functions=_s("function_declaration", "method_declaration", "type_declaration"),
    ),
    LanguageSpec(
        "rust", (".rs",), "rust",
        functions=_s(
            "function_item", "struct_item", "enum_item", "union_item", "type_item",
            "macro_definition", "function_signature_item", "const_item", "static_item",
        ),
        classes=_s("impl_item", "trait_item"),
        namespaces=_s("mod_item"),
        comments=_s("line_comment", "block_comment"),
    ),
    LanguageSpec(
        "java", (".java",), "java",
        functions=_s("method_declaration", "constructor_declaration",
                     "compact_constructor_declaration"),
        classes=_s(
            "class_declaration", "interface_declaration", "enum_declaration",
            "record_declaration", "annotation_type_declaration",
        ),
        comments=_s("line_comment", "block_comment"),
    ),
    LanguageSpec(
        "c", (".c", ".h"), "c",
        functions=_s("function_definition", "struct_specifier", "enum_specifier",
                     "union_specifier", "type_definition"),
    ),
    LanguageSpec(
        "cpp", (".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp"), "cpp",
        functions=_s("function_definition", "template_declaration", "enum_specifier",
                     "type_definition", "alias_declaration"),
        classes=_s("class_specifier", "struct_specifier", "union_specifier"),
        namespaces=_s("namespace_definition", "linkage_specification"),
    ),
    LanguageSpec(
        "csharp", (".cs",), "csharp",
        functions=_s(
            "method_declaration", "constructor_declaration", "destructor_declaration",
            "property_declaration", "operator_declaration", "delegate_declaration",
            "local_function_statement", "indexer_declaration",
        ),
        classes=_s(
            "class_declaration", "struct_declaration", "interface_declaration",
            "record_declaration", "enum_declaration",
        ),
        namespaces=_s("namespace_declaration", "file_scoped_namespace_declaration"),
    ),
    LanguageSpec(
        "ruby", (".rb", ".rake", ".gemspec"), "ruby",
        functions=_s("method", "singleton_method"),
        classes=_s("class", "singleton_class"),
        namespaces=_s("module"),
    ),
    LanguageSpec(
        "php", (".php", ".phtml"), "php",
        functions=_s("function_definition", "method_declaration"),
        classes=_s("class_declaration", "interface_declaration", "trait_declaration",
                   "enum_declaration"),
        namespaces=_s("namespace_definition"),
    ),
    # Text languages without a grammar table: chunked by overlapping line windows.
    LanguageSpec("markdown", (".md", ".markdown", ".rst", ".txt", ".adoc")),
    LanguageSpec("shell", (".sh", ".bash", ".zsh", ".fish")),
    LanguageSpec("json", (".json", ".jsonc")),
    LanguageSpec("yaml", (".yaml", ".yml")),
    LanguageSpec("toml", (".toml", ".ini", ".cfg")),
    LanguageSpec("html", (".html", ".htm", ".vue", ".svelte")),
    LanguageSpec("css", (".css", ".scss", ".sass", ".less")),
    LanguageSpec("sql", (".sql",)),
    LanguageSpec("kotlin", (".kt", ".kts")),
    LanguageSpec("swift", (".swift",)),
    LanguageSpec("scala", (".scala", ".sc")),
    LanguageSpec("lua", (".lua",)),
    LanguageSpec("r", (".r", ".R")),
    LanguageSpec("elixir", (".ex", ".exs")),
    LanguageSpec("haskell", (".hs",)),
    LanguageSpec("dart", (".dart",)),
    LanguageSpec("zig", (".zig",)),
    LanguageSpec("perl", (".pl", ".pm")),
    LanguageSpec("text", ()),
)

BY_NAME: dict[str, LanguageSpec] = {spec.name: spec for spec in SPECS}
ALIASES = {"c#": "csharp", "cs": "csharp", "c++": "cpp", "js": "javascript",
           "ts": "typescript", "py": "python", "sh": "shell", "bash": "shell",
           "golang": "go", "rs": "rust", "rb": "ruby", "md": "markdown", "yml": "yaml"}
_BY_EXT: dict[str, str] = {ext: spec.name for spec in SPECS for ext in spec.extensions}
_BY_FILENAME: dict[str, str] = {
    "Makefile": "shell", "Dockerfile": "shell", "Rakefile": "ruby", "Gemfile": "ruby",
    "CMakeLists.txt": "text",
}


class UnknownLanguageError(InvalidInput):
    """A language name that nearcode does not know."""


def language_for_path(path: str | PurePath) -> str | None:
    """The language of a file from its name, or None when it is not a text type we index."""
    p = PurePath(path)
    if p.name in _BY_FILENAME:
        return _BY_FILENAME[p.name]
    return _BY_EXT.get(p.suffix) or _BY_EXT.get(p.suffix.lower())


def check_language(name: str) -> str:
    """The known language `name` stands for, in any case (`Python` → `python`), or one of a few
    common aliases (`C#`, `C++`, `JS`, `TS`, `py`, `bash`, `golang`); UnknownLanguageError
    listing the known names otherwise."""
    key = name.strip().lower() if isinstance(name, str) else ""
    key = ALIASES.get(key, key)
    if key not in BY_NAME:
        known = ", ".join(sorted(BY_NAME))
        raise UnknownLanguageError(f"unknown language {name!r}; known: {known}")
    return key


def grammar_languages() -> list[str]:
    """Languages chunked with tree-sitter."""
    return [spec.name for spec in SPECS if spec.grammar]
