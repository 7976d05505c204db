from django.http import HttpResponse


def home(request):
    return HttpResponse("backoffice")


def login_view(request):
    return HttpResponse("login")
