"""Plain records with accessors: short look-alike methods that are not copies worth a hint."""


class User:
    def __init__(self, name, email):
        self._name = name
        self._email = email

    def get_name(self):
        return self._name

    def set_name(self, value):
        self._name = value

    def get_email(self):
        return self._email

    def set_email(self, value):
        self._email = value


class Product:
    def __init__(self, title, price):
        self._title = title
        self._price = price

    def get_title(self):
        return self._title

    def set_title(self, value):
        self._title = value

    def get_price(self):
        return self._price

    def set_price(self, value):
        self._price = value
