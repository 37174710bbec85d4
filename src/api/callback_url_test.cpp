#include "api/callback_url.h"

#include <gtest/gtest.h>

namespace ingestd::api {
namespace {

TEST(CallbackUrl, ForbiddenAddressesAreLoopbackLinkLocalPrivateAndTheirDisguises) {
  for (const char* a : {"127.0.0.1",
                        "127.8.9.10",
                        "0.0.0.0",
                        "0.1.2.3",
                        "10.0.0.1",
                        "172.16.0.1",
                        "172.31.255.255",
                        "192.168.1.1",
                        "169.254.169.254",
                        "100.64.0.1",
                        "224.0.0.1",
                        "255.255.255.255",
                        "::",
                        "::1",
                        "fe80::1",
                        "fc00::1",
                        "fd12:3456::1",
                        "ff02::1",
                        "::ffff:127.0.0.1",
                        "::ffff:8.8.8.8",
                        "::127.0.0.1",
                        "64:ff9b::a00:1",
                        "2002:a00:1::",
                        "not-an-address"}) {
    EXPECT_TRUE(IsForbiddenCallbackAddress(a)) << a;
  }
  for (const char* a : {"8.8.8.8", "172.32.0.1", "172.15.255.255", "100.128.0.1", "192.169.0.1",
                        "2001:4860:4860::8888", "64:ff9b::808:808", "2002:808:808::"}) {
    EXPECT_FALSE(IsForbiddenCallbackAddress(a)) << a;
  }
}

TEST(CallbackUrl, MalformedUrlsAreInvalidField) {
  for (const char* u :
       {"", "ftp://example.com/", "example.com/hook", "http://", "http:///x",
        "http://user:pw@example.com/", "http://exa mple.com/", "http://example.com:/",
        "http://example.com:0/", "http://example.com:65536/", "http://example.com:8x/",
        "http://[::1/", "http://[zz]/", "http://[::1]x/", "http://ex_ample.com/",
        "http://example.com/\n"}) {
    Result<CallbackTarget> t = ParseCallbackUrl(u);
    ASSERT_FALSE(t.ok()) << u;
    EXPECT_EQ(t.status().code(), "INVALID_FIELD") << u;
  }
  EXPECT_FALSE(
      ParseCallbackUrl("https://example.com/" + std::string(kMaxCallbackUrlBytes, 'a')).ok());
}

TEST(CallbackUrl, PortsDefaultBySchemeAndIpv6LiteralsLoseTheirBrackets) {
  Result<CallbackTarget> a = ParseCallbackUrl("HTTPS://Example.com/hooks?x=1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "Example.com");
  EXPECT_EQ(a->port, 443);
  Result<CallbackTarget> b = ParseCallbackUrl("http://[2001:db8::1]:8080/h");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "2001:db8::1");
  EXPECT_EQ(b->port, 8080);
  b->addresses = {"2001:db8::1"};
  EXPECT_EQ(b->ResolveEntry(), "2001:db8::1:8080:[2001:db8::1]");
}

TEST(CallbackUrl, EveryResolvedAddressIsCheckedUnlessPrivateTargetsAreAllowed) {
  for (const char* u : {"http://127.0.0.1:9/h", "http://localhost/h", "http://[::1]/h",
                        "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/"}) {
    Result<CallbackTarget> t = ResolveCallbackUrl(u, {});
    ASSERT_FALSE(t.ok()) << u;
    EXPECT_EQ(t.status().code(), "CALLBACK_URL_FORBIDDEN") << u;
    Result<CallbackTarget> allowed = ResolveCallbackUrl(u, {.allow_private = true});
    ASSERT_TRUE(allowed.ok()) << u << ": " << allowed.status().ToString();
    EXPECT_FALSE(allowed->addresses.empty());
  }
  Result<CallbackTarget> public_ip = ResolveCallbackUrl("https://8.8.8.8/h", {});
  ASSERT_TRUE(public_ip.ok());
  EXPECT_EQ(public_ip->addresses, std::vector<std::string>{"8.8.8.8"});
  EXPECT_EQ(public_ip->ResolveEntry(), "8.8.8.8:443:8.8.8.8");
}

}  // namespace
}  // namespace ingestd::api
