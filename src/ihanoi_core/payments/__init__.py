"""Cashless fees (issue #19): the VietQR payload (``vietqr``), its image
(``qr_image``), the gateways' signed confirmations (``signatures``), the
process manager that turns a confirmation into a paid fee and a resumed
dossier (``process``) and the reconciliation of a bank statement
(``reconcile``). See ``docs/payments.md``."""
