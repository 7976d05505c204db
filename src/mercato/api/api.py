from ninja import NinjaAPI

api = NinjaAPI(title="Mercato API", version="1", urls_namespace="api")
