// The embedded dashboard files: lookup, types, caching, and no way out of
// the set.
#include "api/static_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>

namespace bluegreen::api {
namespace {

constexpr std::array<embedded_file, 3> kFiles{{
    {"css/site.css", "body{}", "\"c55\""},
    {"index.html", "<!doctype html>", "\"1dx\""},
    {"logo.svg", "<svg/>", "\"5vg\""},
}};

std::string header(const response& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

TEST(StaticFiles, ContentTypeFollowsTheExtension) {
  const std::pair<std::string_view, std::string_view> expected[] = {
      {"index.html", "text/html; charset=utf-8"},
      {"css/site.css", "text/css; charset=utf-8"},
      {"app.js", "text/javascript; charset=utf-8"},
      {"logo.svg", "image/svg+xml"},
      {"logo.png", "image/png"},
      {"favicon.ico", "image/x-icon"},
      {"data/apps.json", "application/json"},
      {"robots.txt", "text/plain; charset=utf-8"},
      {"fonts/inter.woff2", "font/woff2"},
      {"archive.tar", "application/octet-stream"},
      {"Makefile", "application/octet-stream"},
      {"dir.css/file", "application/octet-stream"},
  };
  for (const auto& [path, type] : expected) EXPECT_EQ(content_type_of(path), type) << path;
}

TEST(StaticFiles, FindsOnlyExactlyTheEmbeddedNames) {
  ASSERT_TRUE(find_static_file(kFiles, "css/site.css"));
  EXPECT_EQ(find_static_file(kFiles, "css/site.css")->bytes, "body{}");
  for (std::string_view bad : {"", "css", "css/", "/css/site.css", "css//site.css", "./index.html",
                               "css/../index.html", "../index.html", "..", ".", "css\\site.css",
                               "\\index.html", "/etc/passwd", "index.html/", "INDEX.HTML"}) {
    EXPECT_FALSE(find_static_file(kFiles, bad)) << bad;
  }
  std::string with_nul("index.html\0.css", 15);
  EXPECT_FALSE(find_static_file(kFiles, with_nul));
}

TEST(StaticFiles, AnswersWithTheFileItsTagAndItsCaching) {
  auto page = static_file_response(kFiles, "index.html", nullptr);
  EXPECT_EQ(page.status, 200);
  ASSERT_TRUE(page.file);
  EXPECT_EQ(page.file->bytes, "<!doctype html>");
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(page, "ETag"), "\"1dx\"");
  EXPECT_EQ(header(page, "Cache-Control"), "no-cache");

  // Scripts and styles too are asked again each time (a 304 while
  // unchanged): after an upgrade no old script talks to the new API.
  auto css = static_file_response(kFiles, "css/site.css", nullptr);
  EXPECT_EQ(header(css, "Cache-Control"), "no-cache");

  auto missing = static_file_response(kFiles, "../index.html", nullptr);
  EXPECT_EQ(missing.status, 404);
  EXPECT_FALSE(missing.file);
}

TEST(StaticFiles, IfNoneMatchWithTheCurrentTagGets304) {
  for (std::string inm :
       {"\"1dx\"", "W/\"1dx\"", "\"old\", \"1dx\"", " \"old\" ,W/\"1dx\" ", "*"}) {
    auto r = static_file_response(kFiles, "index.html", &inm);
    EXPECT_EQ(r.status, 304) << inm;
    EXPECT_FALSE(r.file);
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(header(r, "ETag"), "\"1dx\"");
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  }
  for (std::string inm : {"\"old\"", "1dx", "\"1dx", "", "\"1DX\""}) {
    auto r = static_file_response(kFiles, "index.html", &inm);
    EXPECT_EQ(r.status, 200) << inm;
  }
}

// What the build embedded from web-ui/.
TEST(StaticFiles, TheBuildEmbedsTheDashboardWithContentHashes) {
  auto files = embedded_files();
  auto index = find_static_file(files, "index.html");
  ASSERT_TRUE(index);
  EXPECT_NE(index->bytes.find("bluegreend"), std::string_view::npos);
  EXPECT_NE(index->bytes.find("/assets/style.css"), std::string_view::npos);
  ASSERT_TRUE(find_static_file(files, "style.css"));
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end(),
                             [](const auto& a, const auto& b) { return a.path < b.path; }));
  for (const auto& f : files) {
    // A quoted hex hash, different for different content.
    EXPECT_EQ(f.etag.size(), 34u) << f.path;
    EXPECT_EQ(f.etag.front(), '"');
    EXPECT_EQ(f.etag.back(), '"');
    EXPECT_EQ(f.etag.find_first_not_of("0123456789abcdef", 1), 33u) << f.etag;
  }
  EXPECT_NE(index->etag, find_static_file(files, "style.css")->etag);
}

}  // namespace
}  // namespace bluegreen::api
