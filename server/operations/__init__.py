"""Server-side batch operations that are not client mutations (the monthly payroll run).

Like the sync engine, they turn domain decisions into storage writes inside one write transaction.
"""
