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


def terms(text: str) -> set[str]:
    return {unit for unit, _start, _end in bigram_units(text or "", index=False) if len(unit) > 1}


def product_terms(product: Product) -> set[str]:
    return terms(" ".join((product.name, product.indications or "", product.description or "")))


def fit(need, need_terms: set[str], product: Product, p_terms: set[str], listed: bool) -> Fit | None:
    score, reasons = 0.0, []
    if need.department in (product.departments or []):
        score += DEPARTMENT_SCORE
        reasons.append(f"适用科室含{need.department}")
    if need.key_area and need.key_area == product.key_area:
        score += KEY_AREA_SCORE
        reasons.append(f"同属{need.key_area}")
    shared = need_terms & p_terms
    if shared and need_terms:
        text_score = TEXT_SCORE * len(shared) / len(need_terms)
        score += text_score
        if text_score >= MIN_FIT:
            reasons.append("需求描述与产品相符")
    return Fit(product, round(score, 2), listed, reasons) if score >= MIN_FIT else None


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
    prepared = [(p, product_terms(p)) for p in products]
    ranked = []
    for need in needs:
        need_terms = terms(f"{need.title} {need.description}")
        fits = [f for p, pt in prepared if (f := fit(need, need_terms, p, pt, p.id in listed))]
        fits.sort(key=lambda f: (not f.listed, -f.score, f.product.name))
        ranked.append(NeedFit(need, fits))
    ranked.sort(key=NeedFit.sort_key)
    return ranked


def fitting_company_ids(need) -> list[int]:
    """Companies that see `need` (its district's, or all) with at least one product that fits it."""
    query = sa.select(Product).join(Company, Company.id == Product.company_id)
    if need.district is not None:
        query = query.where(Company.district == need.district)
    need_terms = terms(f"{need.title} {need.description}")
    found = set()
    for product in db.session.scalars(query):
        if product.company_id not in found and fit(need, need_terms, product, product_terms(product), False):
            found.add(product.company_id)
    return sorted(found)
