"""The domain model: one aggregate per module, pure (no I/O, no clock).

Aggregates: ``report``, ``complaint`` and ``denunciation`` (on the shared
``grievance``), ``service_request`` (its steps in the plain mixins
``service_request_pauses``, ``service_request_forwarding`` and
``service_request_apology``, on ``service_request_steps``), ``survey``,
``alert`` (its CAP vocabulary in ``alert_values``), ``question`` and
``knowledge_article`` (the Q&A switchboard, values in ``question_values``), ``payment``
(a dossier's fee, values in ``payment_values``, its gateway transactions indexed by
``payment_transaction``), ``business_inquiry``, ``consultation`` and
``dialogue_session`` (the business portal, values in ``business_values``, tax
codes in ``tax_code``); ``case`` is their base
and ``case_code`` the code index; ``erasure`` holds the requests to erase a
data subject's personal data, ``consent`` a data subject's consent to each
purpose beyond case handling, ``contactability`` how a person may be reached
outside the app (channels, preferences), and ``personal`` the declarations
of which event fields are personal. The values an aggregate's events carry
sit beside it (``report_values``, ``grievance_values``,
``service_request_values``, ``questionnaire``), the values every aggregate
uses in ``values``.
"""

from __future__ import annotations

from ihanoi_core.domain import (
    alert_values,
    business_values,
    consent,
    erasure,
    grievance_values,
    payment_values,
    question_values,
    questionnaire,
    report_values,
    service_request_values,
    survey,
    values,
)

# Every enum and value object that may travel inside an event, by the stable
# name the transcoder stores. Each module declares its own.
VALUE_TYPES: dict[str, type] = {
    **values.VALUE_TYPES,
    **report_values.VALUE_TYPES,
    **grievance_values.VALUE_TYPES,
    **service_request_values.VALUE_TYPES,
    **survey.VALUE_TYPES,
    **questionnaire.VALUE_TYPES,
    **erasure.VALUE_TYPES,
    **consent.VALUE_TYPES,
    **alert_values.VALUE_TYPES,
    **question_values.VALUE_TYPES,
    **business_values.VALUE_TYPES,
    **payment_values.VALUE_TYPES,
}
