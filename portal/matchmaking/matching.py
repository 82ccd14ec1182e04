"""Which open needs fit a company's products, best first (DESIGN §4, 医企面对面).

A need fits a product by department, key area and text. Text is compared with the search area's own analysis
(CJK character bigrams and ASCII words, as the catalogue index stores them), so `关节` in a need meets
`全膝关节置换手术导航定位系统`. A listed product (in a catalogue now) that fits ranks before an unlisted one.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.catalogue.models import Entry, EntryStatus
from portal.directory.models import Company
from portal.extensions import db
from portal.products.models import Product
from portal.search.analysis import bigram_units

DEPARTMENT_SCORE = 3.0
KEY_AREA_SCORE = 2.0
TEXT_SCORE = 4.0  # times the share of the need's terms found in the product
# Below this a product does not fit: one shared everyday bigram (用于, 需要) must not make a listed product "fit".
MIN_FIT = 1.0


@dataclass
class Fit:
    product: Product
    score: float
    listed: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class NeedFit:
    need: object
    fits: list[Fit]

    @property
    def best(self) -> Fit | None:
        return self.fits[0] if self.fits else None

    def sort_key(self):
        best = self.best
        if best is None:
            return (1, 0, 0.0, self.need.valid_until, self.need.id)
        return (0, 0 if best.listed else 1, -best.score, self.need.valid_until, self.need.id)


@dataclass(frozen=True)
class Side:
    """What matching compares, read once per need or product (plain values: no ORM access in the inner loop)."""

    departments: frozenset
    key_area: str | None
    text: str

    @property
    def terms(self) -> frozenset:
        return terms(self.text)


def terms(text: str) -> frozenset:
    return frozenset(unit for unit, _start, _end in bigram_units(text or "", index=False) if len(unit) > 1)


def need_side(need) -> Side:
    return Side(frozenset([need.department]), need.key_area, f"{need.title} {need.description}")


def product_side(name, indications, description, key_area, departments) -> Side:
    return Side(frozenset(departments or ()), key_area, " ".join((name, indications or "", description or "")))


def score(need: Side, need_terms: frozenset, product: Side, product_terms: frozenset) -> tuple[float, list[str]]:
    points, reasons = 0.0, []
    shared_departments = need.departments & product.departments
    if shared_departments:
        points += DEPARTMENT_SCORE
        reasons.append(f"适用科室含{next(iter(shared_departments))}")
    if need.key_area and need.key_area == product.key_area:
        points += KEY_AREA_SCORE
        reasons.append(f"同属{need.key_area}")
    shared = need_terms & product_terms
    if shared:
        text_points = TEXT_SCORE * len(shared) / len(need_terms)
        points += text_points
        if text_points >= MIN_FIT:
            reasons.append("需求描述与产品相符")
    return round(points, 2), reasons


def listed_product_ids(product_ids) -> set[int]:
    if not product_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Entry.product_id).where(Entry.product_id.in_(product_ids), Entry.status == EntryStatus.LISTED)
        )
    )


def rank_needs(needs, products) -> list[NeedFit]:
    """Each need with the products that fit it (best first); needs with a fit first, a listed fit before others."""
    listed = listed_product_ids([p.id for p in products])
    prepared = []
    for p in products:
        side = product_side(p.name, p.indications, p.description, p.key_area, p.departments)
        prepared.append((p, side, side.terms, p.id in listed))
    ranked = []
    for need in needs:
        side = need_side(need)
        need_terms = side.terms
        fits = []
        for product, p_side, p_terms, is_listed in prepared:
            points, reasons = score(side, need_terms, p_side, p_terms)
            if points >= MIN_FIT:
                fits.append(Fit(product, points, is_listed, reasons))
        fits.sort(key=lambda f: (not f.listed, -f.score, f.product.name))
        ranked.append(NeedFit(need, fits))
    ranked.sort(key=NeedFit.sort_key)
    return ranked


def fitting_company_ids(need) -> list[int]:
    """Companies that see `need` (its district's, or all) with at least one product that fits it. Reads plain
    columns, and compares text only when department and key area alone do not make a fit."""
    columns = (Product.name, Product.indications, Product.description, Product.key_area, Product.departments)
    query = sa.select(Product.company_id, *columns).join(Company, Company.id == Product.company_id)
    if need.district is not None:
        query = query.where(Company.district == need.district)
    side = need_side(need)
    need_terms = side.terms
    found = set()
    for company_id, *values in db.session.execute(query):
        if company_id in found:
            continue
        p_side = product_side(*values)
        points, _ = score(side, need_terms, p_side, frozenset())
        if points >= MIN_FIT or score(side, need_terms, p_side, p_side.terms)[0] >= MIN_FIT:
            found.add(company_id)
    return sorted(found)
