"""Administrators keep the device catalogue in the admin; nobody else reaches it."""

from catalogue.models import Device

DEVICE = {
    "gtin": "00812345678901",
    "company": "Example Co (fictitious)",
    "brand": "Fusor",
    "model_number": "F-45",
    "catalogue_number": "",
    "description": "",
    "size": "7.0 x 45 mm",
    "mri_safety": "mr_conditional",
    "implantable": "on",
    "active": "on",
}


def test_an_administrator_adds_a_device(administrator_client):
    response = administrator_client.post("/admin/catalogue/device/add/", DEVICE)

    assert response.status_code == 302
    device = Device.objects.get()
    assert (device.product_name, device.implantable, device.single_use) == (
        "Fusor F-45",
        True,
        False,
    )


def test_a_wrong_check_digit_is_refused_in_the_form(administrator_client):
    response = administrator_client.post(
        "/admin/catalogue/device/add/", {**DEVICE, "gtin": "00812345678906"}
    )

    assert response.status_code == 200
    assert "check digit is wrong" in response.content.decode()
    assert not Device.objects.exists()


def test_an_administrator_finds_a_device_by_its_gtin_or_brand(administrator_client):
    administrator_client.post("/admin/catalogue/device/add/", DEVICE)

    by_gtin = administrator_client.get("/admin/catalogue/device/", {"q": "00812345678901"})
    by_brand = administrator_client.get("/admin/catalogue/device/", {"q": "fusor"})
    filtered = administrator_client.get("/admin/catalogue/device/", {"implantable__exact": "0"})

    assert "Fusor" in by_gtin.content.decode()
    assert "Fusor" in by_brand.content.decode()
    assert "Fusor" not in filtered.content.decode()


def test_a_nurse_does_not_reach_the_catalogue_admin(client, nurse):
    client.force_login(nurse)

    response = client.get("/admin/catalogue/device/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
