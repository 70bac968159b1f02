"""The JSON API under /api/v1: one NinjaAPI; each domain adds its router in its api.py."""

from ninja import NinjaAPI

api = NinjaAPI(title="六有 Liuyou API", version="1", urls_namespace="api")


@api.get("/health", auth=None, tags=["系统"])
def health(request):  # type: ignore[no-untyped-def]
    return {"status": "ok"}
