"""Questionnaire profiles as data, with a small loader and schema. Imports nothing from the project."""
from surveys.answers import N_, Problem, check_answer_columns, check_answers, complete_blocks
from surveys.loader import ProfileError, available, fingerprint, load, load_file, parse
from surveys.schema import Block, Factor, Item, Option, Part, Profile, Rules, Scale, Text

__all__ = ["N_", "Problem", "Block", "Factor", "Item", "Option", "Part", "Profile", "ProfileError", "Rules",
           "Scale", "Text", "available", "check_answer_columns", "check_answers", "complete_blocks", "fingerprint",
           "load", "load_file",
           "parse"]
