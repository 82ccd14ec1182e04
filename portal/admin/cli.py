"""`flask users …`: accounts made by an operator (an entry point: it resolves companies, hospitals and catalogues)."""

import sys

import click
from flask.cli import AppGroup

from portal.accounts import tokens
from portal.accounts.models import Role, User
from portal.accounts.services import create_user
from portal.catalogue.models import Catalogue
from portal.core.actors import COMMAND_LINE
from portal.core.unit import run_cli
from portal.directory.models import Company, Hospital
from portal.extensions import db

users_cli = AppGroup("users", help="用户管理")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default="")
@click.option("--company", "company_uscc", help="企业的统一社会信用代码（企业用户）")
@click.option("--hospital", "hospital_name", help="医疗机构名称（医院用户）")
@click.option("--catalogue", "catalogue_codes", multiple=True, help="目录代码（审核人员，可重复）")
@click.option("--district", default=None, help="监管范围：一个区（监管部门；不填为全市）")
@click.option("--password-stdin", is_flag=True, required=True, help="从标准输入读取密码")
def create(email, role, name, company_uscc, hospital_name, catalogue_codes, district, password_stdin):
    """Create a user; the password is read from standard input so it never shows in the process list."""
    password = sys.stdin.readline().rstrip("\r\n")
    company = _lookup(Company, Company.uscc, company_uscc, "企业")
    hospital = _lookup(Hospital, Hospital.name, hospital_name, "医疗机构")
    catalogues = [_lookup(Catalogue, Catalogue.code, code, "目录") for code in catalogue_codes]
    user = run_cli(
        create_user,
        COMMAND_LINE,
        email=email,
        role=Role(role),
        password=password,
        name=name,
        company=company,
        hospital=hospital,
        catalogues=catalogues,
        district=district,
    )
    click.echo(f"已创建用户 {user.email}（{user.role.label}）")


token_cli = AppGroup("token", help="API 令牌")
users_cli.add_command(token_cli)


@token_cli.command("create")
@click.option("--email", required=True, help="令牌所属医院用户的邮箱")
@click.option("--name", required=True, help="令牌名称，例如所接入的系统")
def token_create(email, name):
    """Provision a personal API token for a hospital user: printed once, stored only as a hash."""
    user = _lookup(User, User.email, email.lower(), "用户")
    _row, token = run_cli(tokens.create_token, COMMAND_LINE, name, owner=user)
    click.echo(f"已为 {user.email} 创建 API 令牌「{name.strip()}」（只显示这一次，请妥善保存）：", err=True)
    click.echo(token)


def _lookup(model, column, value, what):
    if not value:
        return None
    obj = db.session.scalar(db.select(model).where(column == value.strip()))
    if obj is None:
        raise click.ClickException(f"未找到{what}：{value}")
    return obj
