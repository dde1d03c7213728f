# SPDX-License-Identifier: MIT

"""Sentinel values used as default argument values across aiologic."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = (
    "DEFAULT",
    "MISSING",
    "DefaultType",
    "MissingType",
)


class _SingletonEnum(enum.Enum):
    """An enum whose single member is a named, picklable sentinel."""

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{self.name}"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return False

    # Sentinels are compared by identity, so copies must be the same object
    # (enum members already pickle by reference).
    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: Any) -> Self:
        return self


class DefaultType(_SingletonEnum):
    """The type of `DEFAULT`."""

    DEFAULT = "DEFAULT"


class MissingType(_SingletonEnum):
    """The type of `MISSING`."""

    MISSING = "MISSING"


#: "use the normal default value"
DEFAULT: Final = DefaultType.DEFAULT
#: "behave specially when the argument was not passed"
MISSING: Final = MissingType.MISSING
