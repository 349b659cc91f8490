"""Domain rules of a savings-and-loan cooperative, as plain functions over msgspec structs.

Nothing here imports Litestar or SQL: every rule of the seed guide lives here once and is tested
directly (``tests/domain``). Storage loads the structs, the sync engine calls these functions, and
storage writes back what they return.
"""
