"""The REST API, mounted at /api/: OpenAPI document at /api/openapi.json, Swagger at /api/docs.

Catalogue reads are public; writes and token management need a staff API token
(`Authorization: Bearer mk_...`) or a back-office session with its CSRF token.
"""

from .carriers.router import router as carriers_router
from .cart.router import router as cart_router
from .catalog import router as catalog_router
from .console.router import router as console_router
from .errors import JsonErrorsAPI, install_error_handlers
from .flash.router import router as flash_router
from .orders.router import router as orders_router
from .procurement.router import router as procurement_router
from .procurement.tenders import router as tenders_router
from .promotions.router import router as promotions_router
from .reviews.router import router as reviews_router
from .service.callbacks import router as service_callbacks_router
from .service.knowledge import router as service_knowledge_router
from .service.router import router as service_router
from .tokens import router as tokens_router

api = JsonErrorsAPI(
    title="Mercato API",
    version="1",
    urls_namespace="api",
    description=(
        "Mercato's REST API. Every 4xx answer has the body "
        '`{"detail": "...", "errors": [{"field": "...", "message": "..."}]}`. '
        "Staff create API tokens at `POST /api/staff/tokens` (logged in to the back office); "
        "a token acts with its owner's permissions."
    ),
)
install_error_handlers(api)
api.add_router("/catalog", catalog_router)
api.add_router("/staff", tokens_router)
api.add_router("/staff", console_router)
api.add_router("/staff", service_router)
api.add_router("/staff", service_callbacks_router)
api.add_router("/staff", service_knowledge_router)
api.add_router("/staff", procurement_router)
api.add_router("/staff", promotions_router)
api.add_router("/staff", tenders_router)
api.add_router("/carriers", carriers_router)
api.add_router("/cart", cart_router)
api.add_router("/orders", orders_router)
api.add_router("/flash", flash_router)
api.add_router("/reviews", reviews_router)
