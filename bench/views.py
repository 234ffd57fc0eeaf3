from django.http import JsonResponse


def json_baseline(request):
    """A bare Django JSON view: the benchmark baseline later API work is compared against."""
    return JsonResponse({"ok": True})
