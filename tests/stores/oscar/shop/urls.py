"""The test shop serves no pages; Django only needs a URL configuration to exist."""

urlpatterns: list[object] = []
