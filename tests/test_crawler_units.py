"""Small pieces of the crawler that need no server: Retry-After, host keys, address guard, registry."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from budgets.portals import RegistryError, load_portals
from crawler.addresses import is_private_address
from crawler.hosts import host_key
from crawler.middlewares.retry_after import retry_after_seconds
from crawler.spiders.portal import split_urls


def test_retry_after_seconds_and_http_date():
    now = datetime(2026, 11, 25, 3, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("1", now) == 1.0
    assert retry_after_seconds(" 120 ", now) == 120.0
    assert retry_after_seconds("Wed, 25 Nov 2026 03:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Wed, 25 Nov 2026 02:00:00 GMT", now) == 0.0  # in the past: no wait
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_host_key_normalises_default_ports_and_case():
    assert host_key("http://WWW.Example.gov.cn/a") == host_key("http://www.example.gov.cn:80/b")
    assert host_key("https://x.gov.cn/") == "x.gov.cn:443"
    assert host_key("http://127.0.0.1:8080/") != host_key("http://127.0.0.2:8080/")


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                  "::1", "fe80::1", "0.0.0.0", "localhost"])
def test_private_addresses_are_recognised(host):
    assert is_private_address(host)


def test_public_address_is_not_private():
    assert not is_private_address("202.96.128.86")


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0X7F000001", "017700000001", "0177.0.0.1", "127.1",
                                  "127.0.0.1.", "0x7f.1", "127.000.000.001", "0300.0250.0.1", "0xa.0.0.1",
                                  "::ffff:127.0.0.1", "[::ffff:7f00:1]", "64:ff9b::a9fe:a9fe", "2002:a00:1::",
                                  "0", "localhost."])
def test_every_spelling_of_a_private_address_is_recognised(host):
    assert is_private_address(host)


def test_addresses_written_in_unusual_forms_are_told_apart():
    from crawler.addresses import unusual_address

    assert all(unusual_address(h) for h in ("2130706433", "0x7f.1", "127.1", "127.0.0.1.", "0x08080808"))
    assert not any(unusual_address(h) for h in ("127.0.0.1", "8.8.8.8", "::1", "www.example.gov.cn", "1.2.3.4.5"))
    assert not is_private_address("0x08080808")  # 8.8.8.8, however written


def test_split_urls_accepts_commas_and_newlines():
    assert split_urls("http://a/, http://b/\nhttp://c/") == ["http://a/", "http://b/", "http://c/"]


def test_registry_reads_portals_and_rejects_bad_codes(tmp_path):
    good = tmp_path / "portals.toml"
    good.write_text('[[portal]]\nname = "株洲市人民政府"\nstart_urls = ["http://www.zhuzhou.gov.cn/"]\n'
                    'province = "湖南省"\ncity = "株洲市"\nadmin_code = "430200"\n', encoding="utf-8")
    (portal,) = load_portals(good)
    assert portal.region() == {"province": "湖南省", "city": "株洲市", "county": None, "admin_code": "430200"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[[portal]]\nname = "x"\nstart_urls = ["http://x/"]\nadmin_code = 430200\n', encoding="utf-8")
    with pytest.raises(RegistryError, match="6-digit string"):
        load_portals(bad)


def test_registry_politeness_and_exclusions(tmp_path):
    path = tmp_path / "portals.toml"
    path.write_text('[[portal]]\nname = "x"\nstart_urls = ["http://x.gov.cn/"]\nexclude = ["/search/"]\n'
                    'delay = 2.5\nconcurrency = 1\n', encoding="utf-8")
    (portal,) = load_portals(path)
    assert (portal.exclude, portal.delay, portal.concurrency) == (["/search/"], 2.5, 1)
    path.write_text('[[portal]]\nname = "x"\nstart_urls = ["http://x.gov.cn/"]\nexclude = ["search"]\n',
                    encoding="utf-8")
    with pytest.raises(RegistryError, match="starting with /"):
        load_portals(path)
