"""Administration of users, companies, hospitals and catalogues, and the audit log."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts import reads as account_reads
from portal.accounts import services as accounts
from portal.accounts.models import Role, User
from portal.admin.forms import CatalogueForm, CompanyForm, HospitalForm, UserForm
from portal.catalogue import reads as catalogue_reads
from portal.catalogue.models import Scope
from portal.catalogue.services import save_catalogue
from portal.core.access import roles
from portal.core.forms import choices
from portal.core.unit import submit
from portal.core.web import found, paginate
from portal.directory import reads as directory_reads
from portal.directory.models import HospitalLevel
from portal.directory.services import save_company, save_hospital

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


# Users ---------------------------------------------------------------------------------------------------


def _user_form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user)
    form.company_id.choices = choices(
        [(0, "（无）")] + [(c.id, c.name) for c in directory_reads.all_companies(current_user)]
    )
    form.hospital_id.choices = choices(
        [(0, "（无）")] + [(h.id, h.name) for h in directory_reads.all_hospitals(current_user)]
    )
    form.catalogue_ids.choices = choices((c.id, c.name) for c in catalogue_reads.all_catalogues(current_user))
    if user is not None and request.method == "GET":
        form.role.data = user.role.value
        form.catalogue_ids.data = [c.id for c in user.catalogues]
        form.company_id.data = user.company_id or 0
        form.hospital_id.data = user.hospital_id or 0
        form.district.data = user.district or ""
    return form


def _scope(form: UserForm) -> dict:
    return {
        "company": found(directory_reads.get_company, form.company_id.data) if form.company_id.data else None,
        "hospital": found(directory_reads.get_hospital, form.hospital_id.data) if form.hospital_id.data else None,
        "catalogues": catalogue_reads.catalogues_by_ids(current_user, form.catalogue_ids.data),
        "district": form.district.data or None,
    }


@bp.route("/users")
@roles(Role.ADMIN)
def users():
    query = account_reads.users_query(current_user, request.args.get("q", ""))
    return render_template("admin/users.html", page=paginate(query))


@bp.route("/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_new():
    form = _user_form()
    if (
        form.validate_on_submit()
        and submit(
            form,
            accounts.create_user,
            current_user,
            email=form.email.data,
            role=Role(form.role.data),
            password=form.password.data or "",
            name=form.name.data or "",
            **_scope(form),
        ).ok
    ):
        flash("用户已创建。", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_edit(user_id):
    user = found(account_reads.get_user, user_id)
    form = _user_form(user)
    if (
        form.validate_on_submit()
        and submit(
            form,
            accounts.update_user,
            current_user,
            user,
            name=form.name.data or "",
            role=Role(form.role.data),
            active=form.active.data,
            **_scope(form),
        ).ok
    ):
        flash("用户已更新。", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


# Companies -----------------------------------------------------------------------------------------------


def _company_fields(form: CompanyForm) -> dict:
    return {
        name: getattr(form, name).data or ""
        for name in ("uscc", "name", "short_name", "district", "address", "contact_name", "contact_phone")
    }


@bp.route("/companies")
@roles(Role.ADMIN)
def companies():
    query = directory_reads.companies_query(current_user, request.args.get("q", ""))
    return render_template("admin/companies.html", page=paginate(query))


@bp.route("/companies/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def company_new():
    form = CompanyForm()
    if form.validate_on_submit() and submit(form, save_company, current_user, None, **_company_fields(form)).ok:
        flash("企业已创建。", "success")
        return redirect(url_for("admin.companies"))
    return render_template("admin/company_form.html", form=form, company=None)


@bp.route("/companies/<int:company_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def company_edit(company_id):
    company = found(directory_reads.get_company, company_id)
    form = CompanyForm(obj=company)
    if form.validate_on_submit() and submit(form, save_company, current_user, company, **_company_fields(form)).ok:
        flash("企业已更新。", "success")
        return redirect(url_for("admin.companies"))
    return render_template("admin/company_form.html", form=form, company=company)


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
    query = directory_reads.hospitals_query(current_user, request.args.get("q", ""))
    return render_template("admin/hospitals.html", page=paginate(query))


@bp.route("/hospitals/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def hospital_new():
    form = HospitalForm()
    if form.validate_on_submit() and submit(form, save_hospital, current_user, None, **_hospital_fields(form)).ok:
        flash("医疗机构已创建。", "success")
        return redirect(url_for("admin.hospitals"))
    return render_template("admin/hospital_form.html", form=form, hospital=None)


@bp.route("/hospitals/<int:hospital_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def hospital_edit(hospital_id):
    hospital = found(directory_reads.get_hospital, hospital_id)
    form = HospitalForm(obj=hospital)
    if request.method == "GET":
        form.level.data = hospital.level.value
    if form.validate_on_submit() and submit(form, save_hospital, current_user, hospital, **_hospital_fields(form)).ok:
        flash("医疗机构已更新。", "success")
        return redirect(url_for("admin.hospitals"))
    return render_template("admin/hospital_form.html", form=form, hospital=hospital)


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
    return render_template("admin/catalogues.html", page=paginate(catalogue_reads.catalogues_query(current_user)))


@bp.route("/catalogues/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def catalogue_new():
    form = CatalogueForm()
    if form.validate_on_submit() and submit(form, save_catalogue, current_user, None, **_catalogue_fields(form)).ok:
        flash("目录已创建。", "success")
        return redirect(url_for("admin.catalogues"))
    return render_template("admin/catalogue_form.html", form=form, catalogue=None)


@bp.route("/catalogues/<int:catalogue_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def catalogue_edit(catalogue_id):
    catalogue = found(catalogue_reads.get_catalogue, catalogue_id)
    form = CatalogueForm(obj=catalogue)
    if request.method == "GET":
        form.scope.data = catalogue.scope.value
        form.district.data = catalogue.district or ""
    if (
        form.validate_on_submit()
        and submit(form, save_catalogue, current_user, catalogue, **_catalogue_fields(form)).ok
    ):
        flash("目录已更新。", "success")
        return redirect(url_for("admin.catalogues"))
    return render_template("admin/catalogue_form.html", form=form, catalogue=catalogue)


# Audit log -----------------------------------------------------------------------------------------------


@bp.route("/audit")
@roles(Role.ADMIN)
def audit():
    query = account_reads.audit_query(current_user, request.args.get("action", ""))
    return render_template("admin/audit.html", page=paginate(query))
