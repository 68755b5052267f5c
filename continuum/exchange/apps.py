from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "continuum.exchange"
    label = "exchange"
    verbose_name = "Data in and out (calendars, CSV, a client's record)"
