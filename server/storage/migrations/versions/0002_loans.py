"""Loans, payroll profiles with plafon history, deduction changes and payroll runs.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATEMENTS = [
    """CREATE TABLE loan_products (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, purposes TEXT NOT NULL DEFAULT '[]',
        method TEXT NOT NULL CHECK (method IN ('flat', 'efektif', 'anuitas')),
        annual_rate_bp INTEGER NOT NULL CHECK (annual_rate_bp >= 0),
        min_amount INTEGER NOT NULL, max_amount INTEGER NOT NULL, min_tenor INTEGER NOT NULL, max_tenor INTEGER NOT NULL,
        admin_fee_bp INTEGER NOT NULL DEFAULT 0, admin_fee_flat INTEGER NOT NULL DEFAULT 0,
        rounding_mode TEXT NOT NULL DEFAULT 'half_up' CHECK (rounding_mode IN ('half_up', 'up', 'down')),
        rounding_multiple INTEGER NOT NULL DEFAULT 1 CHECK (rounding_multiple > 0),
        active INTEGER NOT NULL DEFAULT 1)""",
    """CREATE TABLE payroll_profiles (
        member_id INTEGER PRIMARY KEY REFERENCES members(id), plafon INTEGER CHECK (plafon IS NULL OR plafon >= 0),
        birth_date TEXT, category TEXT NOT NULL DEFAULT 'karyawan',
        voluntary_deduction INTEGER NOT NULL DEFAULT 0 CHECK (voluntary_deduction >= 0),
        mandatory_savings INTEGER NOT NULL DEFAULT 0 CHECK (mandatory_savings >= 0))""",
    """CREATE TABLE plafon_history (
        id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id), plafon INTEGER,
        set_by INTEGER NOT NULL REFERENCES users(id), set_at TEXT NOT NULL)""",
    """CREATE TABLE loans (
        id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, member_id INTEGER NOT NULL REFERENCES members(id),
        product_id INTEGER NOT NULL REFERENCES loan_products(id), purpose TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0), tenor INTEGER NOT NULL CHECK (tenor > 0),
        status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected', 'cancelled', 'active', 'paid_off')),
        created_by INTEGER NOT NULL REFERENCES users(id), created_at TEXT NOT NULL,
        requested_disbursement_date TEXT NOT NULL, location_id INTEGER NOT NULL REFERENCES locations(id),
        disbursement_method TEXT NOT NULL CHECK (disbursement_method IN ('transfer', 'tunai')),
        bank_name TEXT, account_number TEXT, account_holder TEXT, monthly_installment INTEGER NOT NULL DEFAULT 0,
        decided_by INTEGER REFERENCES users(id), decided_at TEXT, reason TEXT,
        disbursed_by INTEGER REFERENCES users(id), disbursed_at TEXT, disbursement_date TEXT,
        outstanding INTEGER NOT NULL DEFAULT 0 CHECK (outstanding >= 0), terms TEXT, admin_fee INTEGER NOT NULL DEFAULT 0)""",
    """CREATE INDEX loans_member ON loans(member_id, status)""",
    """CREATE TABLE loan_installments (
        loan_id TEXT NOT NULL REFERENCES loans(id), number INTEGER NOT NULL, due_date TEXT NOT NULL,
        principal INTEGER NOT NULL, interest INTEGER NOT NULL, amount INTEGER NOT NULL, remaining INTEGER NOT NULL,
        paid INTEGER NOT NULL DEFAULT 0 CHECK (paid >= 0 AND paid <= amount),
        PRIMARY KEY (loan_id, number))""",
    """CREATE TABLE loan_repayments (
        id TEXT PRIMARY KEY, loan_id TEXT NOT NULL REFERENCES loans(id), amount INTEGER NOT NULL CHECK (amount > 0),
        principal INTEGER NOT NULL, interest INTEGER NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('tunai', 'potong_gaji')), reference TEXT,
        created_by INTEGER NOT NULL REFERENCES users(id), created_at TEXT NOT NULL)""",
    """CREATE TABLE deduction_changes (
        id TEXT PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id), savings_type TEXT NOT NULL,
        current_amount INTEGER NOT NULL, new_amount INTEGER NOT NULL CHECK (new_amount >= 0),
        effective_month TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('submitted', 'cancelled', 'applied')),
        created_by INTEGER NOT NULL REFERENCES users(id), created_at TEXT NOT NULL, decided_at TEXT)""",
    """CREATE INDEX deduction_changes_member ON deduction_changes(member_id, status)""",
    """CREATE TABLE payroll_lines (
        line_id TEXT PRIMARY KEY, month TEXT NOT NULL, member_id INTEGER NOT NULL REFERENCES members(id),
        kind TEXT NOT NULL, reference TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0),
        status TEXT NOT NULL DEFAULT 'exported' CHECK (status IN ('exported', 'paid', 'unpaid')),
        imported_at TEXT, data TEXT NOT NULL)""",
    """CREATE INDEX payroll_lines_month ON payroll_lines(month)""",
]

TABLES = [
    "payroll_lines",
    "deduction_changes",
    "loan_repayments",
    "loan_installments",
    "loans",
    "plafon_history",
    "payroll_profiles",
    "loan_products",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
