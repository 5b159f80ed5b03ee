"""Build JWST pipeline association files, fast.

``asn_from_list(items, rule=..., **kwargs)`` is jwst's function of the same name
(``jwst.associations.asn_from_list.asn_from_list``, jwst 3.0.0) done in Rust: the same
arguments, the same association, and the same ``dump()`` text and suggested file name. A
notebook changes only its import line::

    from asn_from_list import asn_from_list
    from jwst.associations.lib.rules_level2_base import DMSLevel2bBase   # or rule="DMSLevel2bBase"

    asn = asn_from_list(["jw01_rate.fits"], rule=DMSLevel2bBase)
    asn["products"][0]["members"].append({"expname": "bg_rate.fits", "exptype": "background"})
    asn.data["asn_type"] = "spec2"
    name, text = asn.dump()

Rules may be named by a string or given as any class whose ``__name__`` (or a base class's)
is a rule name, so jwst's own rule classes work unchanged; the classes in
``asn_from_list.rules`` stand in for them where jwst is not installed.
"""

import json as _json
import logging as _logging
import os as _os
import warnings as _warnings
from collections import UserDict as _UserDict
from collections.abc import MutableMapping as _MutableMapping

from . import _native
from ._native import Finding, __version__

__all__ = [
    "ACID",
    "Association",
    "AssociationError",
    "AssociationNotValidError",
    "Member",
    "RULE_NAMES",
    "__version__",
    "Finding",
    "asn_from_list",
    "auto",
    "check",
    "reset_sequence",
]

#: Every rule name ``asn_from_list`` takes, Stage 3 first, then Stage 2, then ``Association``.
RULE_NAMES = tuple(_native.RULE_NAMES)

_logger = _logging.getLogger(__name__)

_DEGRADED_STATUS_OK = "No known degraded exposures in association."
_PATH_WARNING = (
    "Input association file contains path information;"
    " note that this can complicate usage and/or sharing of such files."
)
_YAML_DEPRECATED = (
    "Support for associations as YAML files is deprecated and will be removed "
    "in a future release. Use JSON instead."
)


class AssociationError(Exception):
    """Basic errors related to associations (jwst's ``AssociationError``)."""


class AssociationNotValidError(AssociationError):
    """The association is not valid (jwst's ``AssociationNotValidError``).

    Raised by ``asn_from_list`` for a Stage 3 rule without ``product_name``, and by ``dump()``
    when the association fails its schema or a validity test of its rule.
    """


class Member(_UserDict):
    """A member of an association that holds something other than strings.

    As jwst's ``Member``: a dict-like object whose ``data`` is what is written, keeping the
    ``item`` it was made from. Members of plain strings are plain dicts.
    """

    def __init__(self, initialdata=None, item=None):
        self.item = None
        if isinstance(initialdata, Member):
            self.data = dict(initialdata.data)
            self.item = initialdata.item
        else:
            super().__init__(initialdata)
        if item is not None:
            self.item = item

    def __eq__(self, other):
        keys = ("expname", "exptype")
        if all(k in data for k in keys for data in (self, other)):
            return all(self[k] == other[k] for k in keys)
        return super().__eq__(other)

    __hash__ = None


class ACID:
    """An association candidate identifier: its ``id`` (``o001``, ``c1000``, ``a3001``) and
    ``type`` (``observation``, ``background``, ``DISCOVERED``)."""

    def __init__(self, id, type):  # noqa: A002 - jwst's attribute names
        self.id = id
        self.type = type

    def __str__(self):
        return self.id

    def __repr__(self):
        return f"ACID(id={self.id!r}, type={self.type!r})"


# Associations made in one process are numbered as jwst numbers them: one counter for every
# rule, whose first number is 2 (jwst's Counter(start=1) returns start + 1 first).
_sequence = [1]


def reset_sequence():
    """Start the sequence numbers of suggested file names again, as jwst's
    ``reset_sequence()`` does: the next association made is numbered 00002."""
    _sequence[0] = 1


def _next_sequence():
    _sequence[0] += 1
    return _sequence[0]


def _resolve_rule(rule):
    """The rule's own name, the known rule it is (itself or its nearest base), and that rule's
    ``(stage, needs, any_candidate)``."""
    if isinstance(rule, str):
        return rule, rule, _native.rule_info(rule)
    name = getattr(rule, "__name__", None)
    if not isinstance(name, str):
        raise TypeError(
            f"rule must be a rule name or a rule class, not {type(rule).__name__}"
        )
    for klass in getattr(rule, "__mro__", (rule,)):
        known = getattr(klass, "__name__", None)
        if known in RULE_NAMES:
            return name, known, _native.rule_info(known)
    return name, name, _native.rule_info(name)


def _validity_tests(known, stage, needs):
    """The names of the rule's validity tests, in jwst's order."""
    if stage == "2":
        return ("has_science", "allowed_candidates")
    if needs == "psf":
        return ("has_psf", "has_science")
    if needs == "two members":
        return ("has_pair", "is_not_group", "has_science")
    if needs == "candidate type":
        kind = "is_type_mosaic" if "Mosaic" in known else "is_type_observation"
        return (kind, "has_science")
    return ("has_science",)


def asn_from_list(items, rule="DMS_Level3_Base", **kwargs):
    """Create an association from a list, as jwst's ``asn_from_list`` does.

    Parameters
    ----------
    items : iterable
        The members: file names, or with ``with_exptype=True`` ``(expname, exptype)`` pairs.
    rule : str or class
        A rule name (``"DMS_Level3_Base"``, ``"DMSLevel2bBase"``, ``"Asn_Lv3NRCCoron"``...,
        see ``RULE_NAMES``) or a class whose ``__name__``, or a base class's, is one: jwst's
        rule classes work unchanged.
    product_name : str
        Stage 3: the one product's name. Required: without it, AssociationNotValidError.
    with_exptype : bool
        Each item is an ``(expname, exptype)`` pair. At Stage 2, jwst reads ``item[1]`` as
        the type whenever ``with_exptype`` is given at all, even as False.
    acid : str
        Stage 2: the association candidate id, ``oXXX`` or ``c1XXX`` (default ``o999``);
        anything else is a ValueError. A ``c`` candidate needs a background member to dump.
    meta : dict
        Stage 2: merged into the association's top-level keys (``asn_type``, ``program``...);
        keys it does not have go after ``products``.
    product_name_func : callable
        Stage 2: ``product_name_func(item, index)`` names each product (index from 1); if it
        raises, the default name (the exposure's, less its suffix) stays.

    Other keywords are accepted and ignored, as jwst does. Stage 3 ignores ``acid``, ``meta``
    and ``product_name_func``; Stage 2 ignores ``product_name``.

    Returns
    -------
    Association
        A mutable mapping like jwst's: ``asn["products"][0]["members"].append(...)``,
        ``asn.data[...]``, ``asn.validity[...]``, and ``dump()`` for ``(file name, text)``.
    """
    name, known, (stage, needs, any_candidate) = _resolve_rule(rule)
    if stage == "bare":
        return Association._bare(name, items)
    tests = _validity_tests(known, stage, needs)
    if stage == "3":
        product_name = kwargs.get("product_name")
        if product_name is None:
            raise AssociationNotValidError("Product name needs to be specified")
        with_exptype = bool(kwargs.get("with_exptype", False))
        products, found = _native.stage3(items, product_name, with_exptype)
        acid = ACID("a3001", "DISCOVERED")
        data = _head(name, stage)
        data["products"] = products
    else:
        meta = kwargs.pop("meta", None)
        product_name_func = kwargs.pop("product_name_func", None)
        acid = kwargs.pop("acid", "o999")
        if meta is None:
            meta = {}
        if acid.startswith("o"):
            acid = ACID(acid, "observation")
        elif acid.startswith("c"):
            acid = ACID(acid, "background")
        else:
            raise ValueError(
                f'Invalid association id specified: "{acid}"\n\tMust be of form "oXXX" or "c1XXX"'
            )
        products, found = _native.stage2(items, "with_exptype" in kwargs, product_name_func)
        data = _head(name, stage)
        if found.items:
            data["products"] = products
        data.update(meta)
    validated = {
        "has_science": found.science,
        "has_psf": found.psf,
        "has_pair": found.items >= 2,
        "is_not_group": found.items >= 1,
        "is_type_observation": False,
        "is_type_mosaic": False,
        "allowed_candidates": found.items >= 1
        and (any_candidate or acid.type == "observation" or found.background),
    }
    return Association(
        name,
        stage,
        data,
        {test: validated[test] for test in tests},
        acid,
        _next_sequence(),
    )


def _head(rule_name, stage):
    """The top-level keys jwst's rule starts with, in its order."""
    data = {
        "asn_type": "None",
        "asn_rule": rule_name,
        "version_id": None,
        "code_version": _native.CODE_VERSION,
        "degraded_status": _DEGRADED_STATUS_OK,
        "program": "noprogram",
        "constraints": "No constraints",
        "asn_id": "a3001",
    }
    if stage == "3":
        data["target"] = "none"
    data["asn_pool"] = "none"
    return data


class Association(_MutableMapping):
    """An association, as jwst's rules make it: a mutable mapping over ``data``.

    Read and change it as a dict (``asn["products"]``, ``asn.data["asn_type"] = "image3"``,
    ``asn.keys()``); ``validity`` holds the rule's validity tests, each
    ``{"validated": bool, "check": callable}``; ``dump()`` returns the suggested file name and
    the JSON text. Until Python first reads the products, they stay in Rust and ``dump()``
    writes them from there.
    """

    def __init__(self, rule_name, stage, data, validated, acid, sequence):
        self._rule_name = rule_name
        self._stage = stage
        self._data = data
        self._validated = validated
        self._validity = None
        self._acid = acid
        self._asn_name = None
        self.current_sequence = sequence
        self.version_id = None
        self.meta = {}

    def __getstate__(self):
        # Copies and pickles hold the products as Python data.
        self._materialise()
        return self.__dict__.copy()

    @classmethod
    def _bare(cls, rule_name, items):
        data = {
            "asn_type": "None",
            "asn_rule": rule_name,
            "version_id": None,
            "code_version": _native.CODE_VERSION,
            "members": items,
        }
        return cls(rule_name, "bare", data, None, None, None)

    @classmethod
    def _from_json(cls, file_name, text):
        """An association made by the library, as its JSON text: valid, named `file_name`."""
        data = _json.loads(text)
        stage = "2" if data.get("asn_type") in _STAGE2_TYPES else "3"
        asn = cls(data.get("asn_rule"), stage, data, {}, ACID(data.get("asn_id"), None), None)
        asn.asn_name = file_name[: -len(".json")] if file_name.endswith(".json") else file_name
        return asn

    # The data, materialised on first access.
    def _materialise(self):
        products = self._data.get("products")
        if isinstance(products, _native.Products):
            self._data["products"] = products.to_python(Member)
        return self._data

    @property
    def data(self):
        """The association as a dict: the top-level keys, then ``products``."""
        return self._materialise()

    @data.setter
    def data(self, value):
        self._data = value

    @property
    def validity(self):
        """The rule's validity tests: ``{name: {"validated": bool, "check": callable}}``.

        ``dump()`` refuses an association whose tests are not all validated. Members appended
        by hand are not checked again: set ``validated`` yourself, as jwst asks."""
        if self._stage == "bare":
            raise AttributeError("'Association' rule has no validity tests")
        if self._validity is None:
            self._validity = {
                name: {"validated": flag, "check": self._check(name)}
                for name, flag in self._validated.items()
            }
        return self._validity

    @validity.setter
    def validity(self, value):
        self._validity = value

    def _check(self, name):
        def current_members():
            return self.data["products"][-1]["members"]

        if name == "has_science":
            return lambda member: member["exptype"] == "science"
        if name == "has_psf":
            return lambda member: member["exptype"] == "psf"
        if name == "has_pair":
            return lambda entry=None: len(current_members()) == (2 if entry is None else 1)
        if name == "is_not_group":
            return lambda _member: True
        if name == "allowed_candidates":

            def allowed(_member):
                if self._acid.type == "observation" or self._validated[name]:
                    return True
                return any(m["exptype"].lower() == "background" for m in current_members())

            return allowed
        return lambda _member: False

    @property
    def asn_rule(self):
        """The rule's name."""
        return self._rule_name

    @property
    def acid(self):
        """The association candidate id (``ACID``): the ``acid`` given at Stage 2,
        ``a3001`` at Stage 3."""
        return self._acid

    @property
    def asn_name(self):
        """The suggested file name, less its extension: as jwst makes it,
        ``jw{program}-{acid}_{asn_type}_{sequence:05d}_asn`` in lower case, from the current
        ``program`` and ``asn_type``; ``unnamed_association`` for the ``Association`` rule."""
        if self._asn_name:
            return self._asn_name
        if self._stage == "bare":
            return "unnamed_association"
        data = self._data
        name = "jw{program}-{acid}_{type}_{sequence:05d}_asn".format(
            program=data["program"],
            acid=self._acid.id,
            type=data["asn_type"],
            sequence=self.current_sequence,
        )
        return name.lower()

    @asn_name.setter
    def asn_name(self, name):
        self._asn_name = name

    @property
    def is_valid(self):
        """Whether ``dump()`` would write the association."""
        try:
            self._validate()
        except AssociationNotValidError:
            return False
        return True

    def _validate(self):
        if self._stage == "bare":
            _logger.warning(f"Cannot validate: {self._rule_name} has no schema. Presuming OK.")
            return
        data = self._data
        problem = _native.schema_problem(data, self._stage == "3")
        if problem is not None:
            raise AssociationNotValidError(f"Association {self} is not valid: {problem}")
        directories, error = _native.names_have_directories(data)
        if directories:
            _warnings.warn(_PATH_WARNING, UserWarning, stacklevel=3)
        if error is not None:
            raise error
        if self._validity is None:
            failed = [name for name, flag in self._validated.items() if not flag]
        else:
            try:
                failed = [name for name, t in self._validity.items() if not t["validated"]]
            except (AttributeError, KeyError):
                raise AssociationNotValidError("Validation failed") from None
        if failed:
            raise AssociationNotValidError(
                f"Association {self} is not valid: validity tests not validated: "
                + ", ".join(failed)
            )

    def dump(self, fmt=None, **kwargs):
        """Serialize the association: ``(suggested file name, text)``, as jwst's ``dump()``.

        ``fmt`` (or ``format=``) is ``"json"`` (the default) or ``"yaml"`` (deprecated, as in
        jwst, and needs PyYAML). Raises AssociationNotValidError when the association fails
        its schema or a validity test, and warns (UserWarning) when a member name holds a
        directory part.
        """
        if fmt is None:
            fmt = kwargs.pop("format", "json")
        self._validate()
        if fmt == "json":
            _no_arguments(kwargs)
            name = self.asn_name
            if not name.endswith(".json"):
                name += ".json"
            return name, _native.dumps(self._data)
        if fmt == "yaml":
            _no_arguments(kwargs)
            _warnings.warn(_YAML_DEPRECATED, DeprecationWarning, stacklevel=2)
            yaml = _yaml()
            name = self.asn_name
            if not name.endswith(".yaml"):
                name += ".yaml"
            return name, yaml.dump(self.data, default_flow_style=False)
        raise KeyError(fmt)

    # A mutable mapping over data; only `products` needs the products in Python.
    def __getitem__(self, key):
        if key == "products":
            self._materialise()
        return self._data[key]

    def __setitem__(self, key, value):
        self._data[key] = value

    def __delitem__(self, key):
        del self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __contains__(self, key):
        return key in self._data

    def keys(self):
        """The keys of ``data``."""
        return self._data.keys()

    def items(self):
        """The items of ``data``."""
        return self.data.items()

    def values(self):
        """The values of ``data``."""
        return self.data.values()

    def __str__(self):
        if self._stage == "bare":
            return f"Association {self.asn_name}"
        lines = [f"{self.asn_name} with {len(self['products'])} products"]
        lines.append(f"Rule={self._data.get('asn_rule')}")
        lines.append(str(self._data.get("constraints")))
        lines.append("Products:")
        for product in self["products"]:
            lines.append(f"\t{product['name']} with {len(product['members'])} members")
        return "\n".join(lines)

    def __repr__(self):
        try:
            return _native.dumps(self._data)
        except Exception:
            return f"<asn_from_list.Association {self._rule_name}>"


def _no_arguments(kwargs):
    if kwargs:
        raise TypeError(f"dump() got an unexpected keyword argument {next(iter(kwargs))!r}")


_yaml_module = []


def _yaml():
    """PyYAML, with a representer that writes a Member as its data, as jwst registers."""
    if not _yaml_module:
        import yaml

        yaml.add_representer(Member, lambda dumper, m: dumper.represent_dict(m.data))
        _yaml_module.append(yaml)
    return _yaml_module[0]


_STAGE2_TYPES = ("image2", "spec2", "tso-image2", "tso-spec2", "nrslamp-spec2")


def _paths(target):
    if isinstance(target, (str, bytes)) or hasattr(target, "__fspath__"):
        return [_os.fsdecode(target)]
    return [_os.fsdecode(p) for p in target]


def auto(paths, stage=None, skip_bad=False, *, folder=None):
    """The associations ``asn-from-list --auto`` would write for these exposure files, made
    from their FITS primary headers as the pipeline's generator makes them; nothing is written.

    Parameters
    ----------
    paths : str, os.PathLike, or a list of them
        The exposure files (``glob.glob("*_rate.fits")``, say).
    stage : {None, 2, 3}
        Make both stages (default), or Stage 2 or Stage 3 only.
    skip_bad : bool
        Leave out files that cannot be used (each named in a UserWarning) instead of raising
        ValueError, which names them all.
    folder : str or os.PathLike, optional
        Where the associations will be written: member names are relative to it (default: the
        current folder).

    Returns
    -------
    list of (str, Association)
        Each association's file name and the association, Stage 2 first; ``dump()`` gives
        that name and the text ``--auto`` writes. Files in no association (darks, flats, modes
        no rule takes) are named in a UserWarning. Headers are read on every core, without
        the GIL.
    """
    made, skipped, unused = _native.auto_run(
        _paths(paths), "." if folder is None else _os.fspath(folder), stage, bool(skip_bad)
    )
    for _file, why in skipped:
        _warnings.warn(f"{why}; skipped", UserWarning, stacklevel=2)
    if unused:
        files = ", ".join(f"{file} ({exp_type})" for file, exp_type in unused)
        _warnings.warn(f"in no association: {files}", UserWarning, stacklevel=2)
    return [(name, Association._from_json(name, text)) for name, text in made]


def check(target, *, member_files=True, folder=None):
    """Check associations as the pipeline will read them: what ``asn-from-list --check``
    reports, as a list of ``Finding`` (``file``, ``severity``, ``product``, ``member``,
    ``message``, ``fix``; ``str(finding)`` is the command's line). An empty list: no problems.

    Parameters
    ----------
    target : str, os.PathLike, Association, or a list of paths
        Association files, or an association made here (checked as the text ``dump()``
        writes, under its suggested file name in ``folder``).
    member_files : bool
        Look for each member file where the pipeline will: beside the association file
        (default). False checks the association alone.
    folder : str or os.PathLike, optional
        For an ``Association``: the folder it will be written to (default: the current one).

    The checks run without the GIL.
    """
    if isinstance(target, Association):
        name = target.asn_name
        if not name.endswith(".json"):
            name += ".json"
        path = name if folder is None else _os.path.join(_os.fspath(folder), name)
        text = _native.dumps(target._data).encode("ascii")
        return _native.check_text(path, text, bool(member_files))
    return _native.check_files(_paths(target), bool(member_files))


from . import rules  # noqa: E402  (the rule classes use RULE_NAMES)
from .rules import DMS_Level3_Base, DMSLevel2bBase  # noqa: E402

__all__ += ["rules", "DMS_Level3_Base", "DMSLevel2bBase"]
