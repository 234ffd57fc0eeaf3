from .models import Cooperative


def cooperative(request):
    from django.conf import settings

    return {
        "coop_name": settings.COOP_NAME,
        "cooperative": Cooperative.current,
    }
