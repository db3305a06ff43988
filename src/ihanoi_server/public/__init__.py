"""The public pages and statistics: what anyone may read without a token
(``routes``), rendered in Vietnamese or English (``i18n``, ``pages``)."""
