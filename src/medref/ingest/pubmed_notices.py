"""Publication notices in MEDLINE records: retractions, errata and expressions of concern.

MEDLINE marks them in two places, and either may be present without the other (the publication
type often lags the link by weeks):

- ``MedlineCitation/CommentsCorrectionsList/CommentsCorrections`` with a ``RefType`` attribute,
  a ``RefSource`` (the linked record's citation) and an optional ``PMID`` (the linked record).
  ``...In`` types sit on the original article and point to the notice; ``...Of`` / ``...For``
  types sit on the notice and point to the original.
- ``Article/PublicationTypeList/PublicationType``: "Retracted Publication" on the article,
  "Retraction of Publication", "Published Erratum" and "Expression of Concern" on the notices.

:func:`read_notices` turns them into :class:`~medref.models.PublicationFlag` values (a sorted,
unique list for ``Document.meta["flags"]``) and the links behind them (``meta["notices"]``),
so a page can name and link the notice. Unknown ``RefType`` values (comments, updates, cited
works ...) are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from medref.ingest import safexml
from medref.models import PublicationFlag

# RefType -> the flag it puts on the record that carries it.
REF_TYPE_FLAGS: dict[str, PublicationFlag] = {
    "RetractionIn": PublicationFlag.RETRACTED,  # this article was retracted by the linked notice
    "RetractedandRepublishedIn": PublicationFlag.RETRACTED,  # retracted; a new version replaces it
    "RetractionOf": PublicationFlag.RETRACTION_NOTICE,  # this record is the notice
    "ErratumIn": PublicationFlag.ERRATUM,  # a correction to this article was published
    "CorrectedandRepublishedIn": PublicationFlag.ERRATUM,  # corrected; a new version replaces it
    "ErratumFor": PublicationFlag.ERRATUM,  # this record is the erratum notice
    "ExpressionOfConcernIn": PublicationFlag.EXPRESSION_OF_CONCERN,  # a concern about this article
    "ExpressionOfConcernFor": PublicationFlag.EXPRESSION_OF_CONCERN,  # this record is the concern
}

# Publication type (compared case-insensitively) -> flag.
PUBLICATION_TYPE_FLAGS: dict[str, PublicationFlag] = {
    "retracted publication": PublicationFlag.RETRACTED,
    "retraction of publication": PublicationFlag.RETRACTION_NOTICE,
    "published erratum": PublicationFlag.ERRATUM,
    "expression of concern": PublicationFlag.EXPRESSION_OF_CONCERN,
}


def flags_from_publication_types(types: Iterable[str]) -> set[PublicationFlag]:
    """The flags that a record's publication types imply."""
    found: set[PublicationFlag] = set()
    for name in types:
        flag = PUBLICATION_TYPE_FLAGS.get(" ".join(name.split()).lower())
        if flag is not None:
            found.add(flag)
    return found


def comments_corrections(elem: etree._Element) -> list[dict[str, Any]]:
    """One ``CommentsCorrectionsList`` -> its notice links, in document order, without repeats.

    Each link is ``{"flag", "ref_type", "pmid", "source"}``: ``pmid`` is the linked record's
    PMID (None when MEDLINE gives only a citation), ``source`` its citation text (``RefSource``,
    or None).
    """
    links: list[dict[str, Any]] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for item in elem:
        if item.tag != "CommentsCorrections":
            continue
        ref_type = (item.get("RefType") or "").strip()
        flag = REF_TYPE_FLAGS.get(ref_type)
        if flag is None:
            continue
        pmid = source = None
        for part in item:
            if part.tag == "PMID":
                text = (part.text or "").strip()
                pmid = text if text.isdigit() else None
            elif part.tag == "RefSource":
                source = " ".join(safexml.text_of(part).split()) or None
        key = (ref_type, pmid, source)
        if key in seen:
            continue
        seen.add(key)
        links.append({"flag": str(flag), "ref_type": ref_type, "pmid": pmid, "source": source})
    return links


def read_notices(
    publication_types: Iterable[str], comments_list: etree._Element | None
) -> tuple[list[str], list[dict[str, Any]]]:
    """(flags, notice links) for one record: flags sorted and unique, links as
    :func:`comments_corrections` gives them (empty when the record has no CommentsCorrectionsList).
    """
    links = comments_corrections(comments_list) if comments_list is not None else []
    flags = flags_from_publication_types(publication_types)
    flags.update(PublicationFlag(link["flag"]) for link in links)
    return sorted(str(f) for f in flags), links
