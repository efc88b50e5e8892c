"""Names and countries of the demo's people, by the language they speak."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# share of the members who speak each language
LANGUAGE_SHARES = {"en": 0.3, "de": 0.3, "pl": 0.25, "ru": 0.15}

_FIRST = {
    "en": (
        "Emma",
        "Oliver",
        "Amelia",
        "Jack",
        "Sophie",
        "Harry",
        "Grace",
        "Thomas",
        "Chloe",
        "James",
        "Lucy",
        "William",
        "Ella",
        "Daniel",
        "Hannah",
        "Liam",
    ),
    "de": (
        "Jonas",
        "Lena",
        "Lukas",
        "Anna",
        "Felix",
        "Mia",
        "Paul",
        "Laura",
        "Maximilian",
        "Sophie",
        "Leon",
        "Marie",
        "Tobias",
        "Julia",
        "Finn",
        "Katharina",
    ),
    "pl": (
        "Katarzyna",
        "Piotr",
        "Anna",
        "Tomasz",
        "Magdalena",
        "Krzysztof",
        "Agnieszka",
        "Paweł",
        "Joanna",
        "Michał",
        "Ewa",
        "Marcin",
        "Zofia",
        "Jakub",
        "Alicja",
        "Wojciech",
    ),
    "ru": (
        "Olga",
        "Dmitri",
        "Anastasia",
        "Sergei",
        "Tatiana",
        "Alexei",
        "Elena",
        "Ivan",
        "Natalia",
        "Mikhail",
        "Irina",
        "Andrei",
        "Svetlana",
        "Pavel",
        "Yulia",
        "Nikolai",
    ),
}
_LAST = {
    "en": (
        "Smith",
        "Jones",
        "Taylor",
        "Brown",
        "Wilson",
        "Evans",
        "Thomas",
        "Johnson",
        "Roberts",
        "Walker",
        "Wright",
        "Robinson",
        "Thompson",
        "White",
        "Hughes",
        "Murphy",
    ),
    "de": (
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Koch",
        "Richter",
        "Klein",
        "Wolf",
        "Neumann",
        "Schwarz",
    ),
    "pl": (
        "Nowak",
        "Kowalski",
        "Wiśniewski",
        "Wójcik",
        "Kowalczyk",
        "Kamiński",
        "Lewandowski",
        "Zieliński",
        "Szymański",
        "Woźniak",
        "Dąbrowski",
        "Kozłowski",
        "Jankowski",
        "Mazur",
        "Kwiatkowski",
        "Krawczyk",
    ),
    "ru": (
        "Ivanov",
        "Smirnov",
        "Kuznetsov",
        "Popov",
        "Vasiliev",
        "Petrov",
        "Sokolov",
        "Mikhailov",
        "Novikov",
        "Fedorov",
        "Morozov",
        "Volkov",
        "Alekseev",
        "Lebedev",
        "Semenov",
        "Egorov",
    ),
}
_COUNTRIES = {"en": ("GB", "IE"), "de": ("DE", "AT", "CH"), "pl": ("PL",), "ru": ("LV", "EE")}


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    country: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def person(language: str, rng: np.random.Generator, first_name: str | None = None) -> Person:
    """A person who speaks ``language``, drawn with ``rng`` (same generator, same people);
    ``first_name`` fixes the first name (the demo logins' personas).

    Polish and Russian surnames take their feminine form after a feminine first name.
    """
    first = _FIRST[language][int(rng.integers(len(_FIRST[language])))]
    first = first_name or first
    last = _LAST[language][int(rng.integers(len(_LAST[language])))]
    feminine = first.endswith("a")
    if feminine and language == "pl" and last.endswith("ski"):
        last = last[:-1] + "a"
    elif feminine and language == "ru" and last.endswith(("ov", "ev", "in")):
        last += "a"
    countries = _COUNTRIES[language]
    return Person(first, last, countries[int(rng.integers(len(countries)))])
