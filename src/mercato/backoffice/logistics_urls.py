"""Picking, packing, shipping, tracking and carriers (views_logistics.py), included under
logistics/ in the backoffice namespace."""

from django.urls import path

from . import views_bulk as bulk
from . import views_logistics as views
from . import views_logistics_audit as audit

urlpatterns = [
    path("waves/", views.wave_list, name="wave_list"),
    path("waves/<int:wave_id>/", views.wave_detail, name="wave_detail"),
    path("waves/<int:wave_id>/pick-list.pdf", views.wave_pick_list_pdf, name="wave_pick_list_pdf"),
    path("waves/<int:wave_id>/waybills.pdf", views.wave_waybills_pdf, name="wave_waybills_pdf"),
    path("waves/<int:wave_id>/cancel/", views.wave_cancel, name="wave_cancel"),
    path("pack/", views.pack_station, name="pack_station"),
    path("pack/<int:shipment_id>/", views.pack_parcel, name="pack_parcel"),
    path("pack/<int:shipment_id>/scan/", views.pack_scan, name="pack_scan"),
    path("pack/<int:shipment_id>/finish/", views.pack_finish, name="pack_finish"),
    path("parcels/<int:shipment_id>/slip.pdf", views.parcel_slip_pdf, name="parcel_slip_pdf"),
    path(
        "parcels/<int:shipment_id>/waybill.pdf", views.parcel_waybill_pdf, name="parcel_waybill_pdf"
    ),
    path("ship/", views.ship, name="ship"),
    path("tracking/", views.tracking_upload, name="tracking_upload"),
    path("carriers/", views.carrier_list, name="carrier_list"),
    path("refused/", views.refused_list, name="refused_list"),
    path("refused/<int:shipment_id>/receive/", views.refused_receive, name="refused_receive"),
    # Delivery audit (配送稽核) and COD remittances (views_logistics_audit)
    path("audit/", audit.delivery_audit, name="delivery_audit"),
    path("audit/late/", audit.late_parcels, name="late_parcels"),
    path("audit/penalties/", audit.penalties, name="penalties"),
    path(
        "audit/penalties/<int:rule_id>/toggle/",
        audit.penalty_rule_toggle,
        name="penalty_rule_toggle",
    ),
    path("cod/", audit.remittances, name="remittances"),
    path("cod/<int:remittance_id>/", audit.remittance_detail, name="remittance_detail"),
    # Bulk actions run in the background (views_bulk): approve, create waves, ship
    path("jobs/<int:bulk_job_id>/", bulk.bulk_job, name="bulk_job"),
    path("jobs/<int:bulk_job_id>/progress/", bulk.bulk_job_progress, name="bulk_job_progress"),
]
