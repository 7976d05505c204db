from ninja import Router

# One router for reads and writes: GET and POST of one path must share a route.
router = Router(tags=["catalog"])
