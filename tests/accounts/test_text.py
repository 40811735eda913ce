from accounts.text import natural_key


def test_numbers_sort_by_value_and_letters_ignore_case():
    rooms = ["OR 10", "or 2", "OR 1", "Hybrid"]
    assert sorted(rooms, key=natural_key) == ["Hybrid", "OR 1", "or 2", "OR 10"]
