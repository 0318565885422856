#!/usr/bin/python3
"""Generates tests/data/tiny-corpus/: small original English prose for tests.

Deterministic (fixed seed, no external input): a little grammar of sentences about a
fictional valley, its workshops, weather and people. Same format as data/brown/: one
UTF-8 .txt file per document, one sentence per line, paragraphs separated by a blank line.
Run: /usr/bin/python3 tests/data/make_tiny_corpus.py
"""
import os
import random

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny-corpus")

PEOPLE = ["the miller", "the old weaver", "a young clockmaker", "the ferryman", "the teacher",
          "a travelling painter", "the baker's daughter", "the harbour master", "a shepherd",
          "the librarian", "two carpenters", "the glassblower", "a tired messenger",
          "the village doctor", "the blacksmith's apprentice", "a quiet botanist"]
NAMES = ["Ada", "Bram", "Corin", "Dalia", "Elin", "Fenwick", "Greta", "Hollis", "Ines", "Jory",
         "Kasimir", "Lena", "Marek", "Nell", "Osric", "Petra", "Quill", "Rosa", "Soren", "Talia"]
PLACES = ["the mill by the river", "the stone bridge", "the market square", "the lighthouse",
          "the orchard on the hill", "the narrow lane behind the chapel", "the workshop",
          "the frozen lake", "the library tower", "the harbour wall", "the pine forest",
          "the long meadow", "the salt marsh", "the ruined watchtower", "the glass house"]
THINGS = ["a brass compass", "a basket of pears", "an unfinished map", "a letter with no name",
          "a broken lantern", "a wooden flute", "a jar of honey", "a coil of rope",
          "a book of tides", "a silver key", "a bundle of wool", "a cracked bell",
          "a small clock", "a painted box", "a sack of flour", "a handful of seeds"]
VERBS_T = ["carried", "repaired", "found", "sold", "hid", "measured", "painted", "weighed",
           "returned", "studied", "polished", "wrapped", "lost", "borrowed", "traded", "counted"]
VERBS_I = ["waited", "laughed", "hesitated", "listened", "wandered", "worked late",
           "slept poorly", "sang quietly", "argued", "kept walking", "looked away", "paused"]
TIMES = ["at dawn", "before the rain", "late in the evening", "on the first day of spring",
         "during the long winter", "after the market closed", "in the middle of the night",
         "when the bells rang", "the next morning", "all through the summer"]
WEATHER = ["The wind came down from the mountains", "A thin fog covered the water",
           "Snow fell without a sound", "The sun stood low over the fields",
           "Rain drummed on the slate roofs", "The air smelled of smoke and apples",
           "Clouds gathered above the valley", "The river ran high and brown"]
ADJ = ["patient", "careful", "stubborn", "cheerful", "restless", "curious", "gentle", "proud",
       "clever", "weary", "honest", "anxious"]
REASONS = ["because nobody else would", "although the price was too high",
           "so that the children could see it", "since the road was closed",
           "as the council had asked", "while the others were asleep",
           "even though it made little sense", "before anyone could object"]
FACTS = ["Every clock in the valley ran a little slow", "The bridge had been rebuilt three times",
         "Nobody remembered who planted the orchard", "The lighthouse had not been lit for years",
         "The market sold more wool than bread", "The library kept its maps in a locked room",
         "Boats left the harbour only with the tide", "The mill wheel turned even in winter"]
TOPICS = ["the flood", "the festival", "the new bridge", "the lost map", "the harvest",
          "the winter of the great frost", "the clockmaker's contest", "the closing of the mine",
          "the stranger at the inn", "the repair of the bell"]


def person(r):
    return r.choice(PEOPLE + NAMES)


def cap(s):
    return s[0].upper() + s[1:]


def sentence(r):
    k = r.randrange(9)
    if k == 0:
        return f"{cap(person(r))} {r.choice(VERBS_T)} {r.choice(THINGS)} {r.choice(TIMES)}."
    if k == 1:
        return f"{r.choice(WEATHER)}, and {person(r)} {r.choice(VERBS_I)}."
    if k == 2:
        return f"{cap(person(r))} walked to {r.choice(PLACES)} {r.choice(REASONS)}."
    if k == 3:
        return f"{r.choice(FACTS)}."
    if k == 4:
        return (f"\"We should talk about {r.choice(TOPICS)},\" said {person(r)}, "
                f"and {person(r)} {r.choice(VERBS_I)}.")
    if k == 5:
        return f"{cap(person(r))} was {r.choice(ADJ)}, but {person(r)} was more {r.choice(ADJ)} still."
    if k == 6:
        n = r.randrange(2, 40)
        return f"It took {n} days to bring {r.choice(THINGS)} from {r.choice(PLACES)}."
    if k == 7:
        return (f"Near {r.choice(PLACES)}, {person(r)} {r.choice(VERBS_T)} {r.choice(THINGS)} "
                f"and {r.choice(VERBS_I)}.")
    return f"{cap(r.choice(TIMES))}, {person(r)} remembered {r.choice(TOPICS)}."


def document(r):
    paras = []
    for _ in range(r.randrange(4, 8)):
        paras.append("\n".join(sentence(r) for _ in range(r.randrange(3, 7))))
    return "\n\n".join(paras) + "\n"


def main():
    r = random.Random(20261123)
    os.makedirs(OUT, exist_ok=True)
    for i in range(40):
        with open(os.path.join(OUT, f"doc{i:02d}.txt"), "w", encoding="utf-8") as f:
            f.write(document(r))


if __name__ == "__main__":
    main()
