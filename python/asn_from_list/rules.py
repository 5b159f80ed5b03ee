"""Stand-ins for jwst's rule classes, one per rule name, for code that passes a class.

``asn_from_list`` knows a rule by its ``__name__``, so ``rule=DMSLevel2bBase`` works with these
classes, with jwst's own, or with a subclass of either (which keeps its own name as
``asn_rule`` and the behaviour of the rule it derives from)::

    from asn_from_list.rules import DMSLevel2bBase, Asn_Lv3NRCCoron
"""

from . import RULE_NAMES


class Rule:
    """The base of the stand-in rule classes. A rule is known by its class name."""


def _rule_class(name):
    doc = f"The rule {name}, for ``asn_from_list(items, rule={name})``."
    return type(name, (Rule,), {"__doc__": doc, "__module__": __name__})


for _name in RULE_NAMES:
    globals()[_name] = _rule_class(_name)
del _name

__all__ = ["Rule", *RULE_NAMES]
