"""Printable documents (PDF) and signed QR payloads: slips, statements, loan schedules, the officer's
daily cash report, member cards and Setoran requests (docs/DOCUMENTS.md)."""
