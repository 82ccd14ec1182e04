"""Administration of users, companies, hospitals and catalogues, and the audit log."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import Role, User
from portal.admin.forms import CatalogueForm, CompanyForm, HospitalForm, UserForm
from portal.audit.models import AuditEvent
from portal.catalogue.models import Catalogue, Scope
from portal.catalogue.services import save_catalogue
from portal.core.access import roles
from portal.core.forms import choices
from portal.core.unit import submit
from portal.core.web import paginate
from portal.directory.models import Company, Hospital, HospitalLevel
from portal.directory.services import save_company, save_hospital
from portal.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")
ADMIN = {Role.ADMIN}

ACCESS = {
    f"admin.{name}": ADMIN
    for name in (
        "users",
        "user_new",
        "user_edit",
        "companies",
        "company_new",
        "company_edit",
        "hospitals",
        "hospital_new",
        "hospital_edit",
        "catalogues",
        "catalogue_new",
        "catalogue_edit",
        "audit",
    )
}




def _save(form, template, save, done_message, done_endpoint, **context):
    """Validate and run the save; on a refusal show the form again with what was typed."""
    if form.validate_on_submit() and submit(form, save).ok:
        flash(done_message, "success")
        return redirect(url_for(done_endpoint))
    return render_template(template, form=form, **context)


# Users ---------------------------------------------------------------------------------------------------


def _user_form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user)
    form.company_id.choices = choices(
        [(0, "（无）")] + [(c.id, c.name) for c in db.session.scalars(select(Company).order_by(Company.name))]
    )
    form.hospital_id.choices = choices(
        [(0, "（无）")] + [(h.id, h.name) for h in db.session.scalars(select(Hospital).order_by(Hospital.name))]
    )
    form.catalogue_ids.choices = choices((c.id, c.name) for c in db.session.scalars(select(Catalogue)))
    if user is not None and request.method == "GET":
        form.role.data = user.role.value
        form.catalogue_ids.data = [c.id for c in user.catalogues]
        form.company_id.data = user.company_id or 0
        form.hospital_id.data = user.hospital_id or 0
        form.district.data = user.district or ""
    return form


def _scope(form: UserForm) -> dict:
    return {
        "company": db.session.get(Company, form.company_id.data) if form.company_id.data else None,
        "hospital": db.session.get(Hospital, form.hospital_id.data) if form.hospital_id.data else None,
        "catalogues": db.session.scalars(
            select(Catalogue).where(Catalogue.id.in_(form.catalogue_ids.data or []))
        ).all(),
        "district": form.district.data or None,
    }


@bp.route("/users")
@roles(Role.ADMIN)
def users():
    query = select(User).order_by(User.role, User.email)
    if request.args.get("q"):
        query = query.where(User.email.contains(request.args["q"].strip().lower()))
    return render_template("admin/users.html", page=paginate(query))


@bp.route("/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_new():
    form = _user_form()
    return _save(
        form,
        "admin/user_form.html",
        lambda: accounts.create_user(
            current_user,
            email=form.email.data,
            role=Role(form.role.data),
            password=form.password.data or "",
            name=form.name.data or "",
            **_scope(form),
        ),
        "用户已创建。",
        "admin.users",
        user=None,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_edit(user_id):
    user = db.session.get(User, user_id) or abort(404)
    form = _user_form(user)
    return _save(
        form,
        "admin/user_form.html",
        lambda: accounts.update_user(
            current_user,
            user,
            name=form.name.data or "",
            role=Role(form.role.data),
            active=form.active.data,
            **_scope(form),
        ),
        "用户已更新。",
        "admin.users",
        user=user,
    )


# Companies -----------------------------------------------------------------------------------------------


def _company_fields(form: CompanyForm) -> dict:
    return {
        name: getattr(form, name).data or ""
        for name in ("uscc", "name", "short_name", "district", "address", "contact_name", "contact_phone")
    }


@bp.route("/companies")
@roles(Role.ADMIN)
def companies():
    query = select(Company).order_by(Company.name)
    if request.args.get("q"):
        query = query.where(Company.name.contains(request.args["q"].strip()))
    return render_template("admin/companies.html", page=paginate(query))


@bp.route("/companies/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def company_new():
    form = CompanyForm()
    return _save(
        form,
        "admin/company_form.html",
        lambda: save_company(current_user, None, **_company_fields(form)),
        "企业已创建。",
        "admin.companies",
        company=None,
    )


@bp.route("/companies/<int:company_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def company_edit(company_id):
    company = db.session.get(Company, company_id) or abort(404)
    form = CompanyForm(obj=company)
    return _save(
        form,
        "admin/company_form.html",
        lambda: save_company(current_user, company, **_company_fields(form)),
        "企业已更新。",
        "admin.companies",
        company=company,
    )


# Hospitals -----------------------------------------------------------------------------------------------


def _hospital_fields(form: HospitalForm) -> dict:
    return {
        "name": form.name.data,
        "district": form.district.data,
        "level": HospitalLevel(form.level.data),
        "is_public": form.is_public.data,
    }


@bp.route("/hospitals")
@roles(Role.ADMIN)
def hospitals():
    query = select(Hospital).order_by(Hospital.district, Hospital.name)
    if request.args.get("q"):
        query = query.where(Hospital.name.contains(request.args["q"].strip()))
    return render_template("admin/hospitals.html", page=paginate(query))


@bp.route("/hospitals/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def hospital_new():
    form = HospitalForm()
    return _save(
        form,
        "admin/hospital_form.html",
        lambda: save_hospital(current_user, None, **_hospital_fields(form)),
        "医疗机构已创建。",
        "admin.hospitals",
        hospital=None,
    )


@bp.route("/hospitals/<int:hospital_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def hospital_edit(hospital_id):
    hospital = db.session.get(Hospital, hospital_id) or abort(404)
    form = HospitalForm(obj=hospital)
    if request.method == "GET":
        form.level.data = hospital.level.value
    return _save(
        form,
        "admin/hospital_form.html",
        lambda: save_hospital(current_user, hospital, **_hospital_fields(form)),
        "医疗机构已更新。",
        "admin.hospitals",
        hospital=hospital,
    )


# Catalogues ----------------------------------------------------------------------------------------------


def _catalogue_fields(form: CatalogueForm) -> dict:
    return {
        "code": form.code.data,
        "name": form.name.data,
        "scope": Scope(form.scope.data),
        "district": form.district.data,
        "deadline_days": form.deadline_days.data,
        "notice_days": form.notice_days.data,
        "allows_class_one": form.allows_class_one.data,
        "allowed_product_types": form.allowed_product_types.data or [],
        "first_approval_cutoff": form.first_approval_cutoff.data,
        "description": form.description.data or "",
    }


@bp.route("/catalogues")
@roles(Role.ADMIN)
def catalogues():
    return render_template("admin/catalogues.html", page=paginate(select(Catalogue).order_by(Catalogue.id)))


@bp.route("/catalogues/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def catalogue_new():
    form = CatalogueForm()
    return _save(
        form,
        "admin/catalogue_form.html",
        lambda: save_catalogue(current_user, None, **_catalogue_fields(form)),
        "目录已创建。",
        "admin.catalogues",
        catalogue=None,
    )


@bp.route("/catalogues/<int:catalogue_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def catalogue_edit(catalogue_id):
    catalogue = db.session.get(Catalogue, catalogue_id) or abort(404)
    form = CatalogueForm(obj=catalogue)
    if request.method == "GET":
        form.scope.data = catalogue.scope.value
        form.district.data = catalogue.district or ""
    return _save(
        form,
        "admin/catalogue_form.html",
        lambda: save_catalogue(current_user, catalogue, **_catalogue_fields(form)),
        "目录已更新。",
        "admin.catalogues",
        catalogue=catalogue,
    )


# Audit log -----------------------------------------------------------------------------------------------


@bp.route("/audit")
@roles(Role.ADMIN)
def audit():
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if request.args.get("action"):
        query = query.where(AuditEvent.action.startswith(request.args["action"].strip()))
    return render_template("admin/audit.html", page=paginate(query))
