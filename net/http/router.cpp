#include "net/http/router.hpp"

#include <algorithm>
#include <stdexcept>

#include "net/http/target.hpp"

namespace agora::net::http {

// -- shapes -------------------------------------------------------------------

/// Patterns with the same literals in the same places (param names aside)
/// form one shape; a shape holds one route per method.
struct router::shape {
  /// Per segment: the literal, or empty for a `{param}`.
  std::vector<std::string> literals;
  std::vector<bool> is_param;
  /// Lexicographic specificity: bit (31 - i) is set when segment i is a
  /// literal, so a larger value is the more specific pattern.
  uint32_t specificity = 0;
  std::vector<route*> routes;

  bool matches(const std::vector<std::string>& segs) const noexcept {
    if (segs.size() != literals.size())
      return false;
    for (size_t i = 0; i < segs.size(); ++i) {
      if (is_param[i] ? segs[i].empty() : segs[i] != literals[i])
        return false;
    }
    return true;
  }
};

namespace {

constexpr size_t max_segments = 32;

struct parsed_pattern {
  std::vector<std::string> literals;
  std::vector<bool> is_param;
  std::vector<std::string> names;
};

parsed_pattern parse_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  parsed_pattern out;
  if (pattern.size() > 1 && pattern.back() == '/')
    pattern.remove_suffix(1);
  if (pattern.size() == 1)
    return out;
  size_t pos = 1;
  while (true) {
    auto next = pattern.find('/', pos);
    auto seg = pattern.substr(pos, next == std::string_view::npos ? std::string_view::npos
                                                                   : next - pos);
    if (seg.empty())
      throw std::invalid_argument("empty segment in route pattern: " + std::string(pattern));
    if (seg.front() == '{') {
      if (seg.size() < 3 || seg.back() != '}')
        throw std::invalid_argument("malformed {param} in route pattern: " + std::string(pattern));
      out.literals.emplace_back();
      out.is_param.push_back(true);
      out.names.emplace_back(seg.substr(1, seg.size() - 2));
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("stray brace in route pattern: " + std::string(pattern));
      out.literals.emplace_back(seg);
      out.is_param.push_back(false);
      out.names.emplace_back();
    }
    if (next == std::string_view::npos)
      break;
    pos = next + 1;
  }
  if (out.literals.size() > max_segments)
    throw std::invalid_argument("route pattern has too many segments: " + std::string(pattern));
  return out;
}

} // namespace

// -- router -------------------------------------------------------------------

router::router() = default;
router::~router() = default;
router::router(router&&) noexcept = default;
router& router::operator=(router&&) noexcept = default;

route& router::add(verb method, std::string_view pattern, auth_requirement auth,
                         handler fn, std::string name) {
  auto parsed = parse_pattern(pattern);
  shape* target = nullptr;
  for (auto& s : shapes_) {
    if (s->literals == parsed.literals && s->is_param == parsed.is_param) {
      target = s.get();
      break;
    }
  }
  if (target == nullptr) {
    auto s = std::make_unique<shape>();
    s->literals = parsed.literals;
    s->is_param = parsed.is_param;
    for (size_t i = 0; i < parsed.is_param.size(); ++i)
      if (!parsed.is_param[i])
        s->specificity |= uint32_t{1} << (31 - i);
    target = s.get();
    shapes_.push_back(std::move(s));
  }
  for (auto* r : target->routes)
    if (r->method == method)
      throw std::invalid_argument("duplicate route: " + std::string(to_string(method)) + " "
                                  + std::string(pattern));
  auto r = std::make_unique<route>();
  r->method = method;
  r->pattern = std::string(pattern);
  r->name = name.empty() ? r->pattern : std::move(name);
  r->auth = auth;
  r->fn = std::move(fn);
  r->id = routes_.size();
  r->param_names = std::move(parsed.names);
  target->routes.push_back(r.get());
  routes_.push_back(std::move(r));
  return *routes_.back();
}

bool router::has(verb method, std::string_view pattern) const {
  auto parsed = parse_pattern(pattern);
  for (auto& s : shapes_)
    if (s->literals == parsed.literals && s->is_param == parsed.is_param)
      return std::any_of(s->routes.begin(), s->routes.end(),
                         [method](const route* r) { return r->method == method; });
  return false;
}

std::chrono::milliseconds router::shortest_route_timeout() const {
  std::chrono::milliseconds shortest{0};
  for (const auto& r : routes_)
    if (r->timeout.count() > 0 && (shortest.count() == 0 || r->timeout < shortest))
      shortest = r->timeout;
  return shortest;
}

route_match router::match(verb method, const std::vector<std::string>& segments) const {
  route_match out;
  const shape* best = nullptr;
  for (auto& s : shapes_)
    if (s->matches(segments) && (best == nullptr || s->specificity > best->specificity))
      best = s.get();
  if (best == nullptr) {
    out.kind = route_match::outcome::not_found;
    return out;
  }
  for (auto* r : best->routes) {
    if (r->method != method)
      continue;
    out.kind = route_match::outcome::found;
    out.matched = r;
    for (size_t i = 0; i < segments.size(); ++i)
      if (best->is_param[i])
        out.params.emplace_back(r->param_names[i], segments[i]);
    return out;
  }
  std::vector<verb> allowed;
  for (auto* r : best->routes)
    allowed.push_back(r->method);
  std::sort(allowed.begin(), allowed.end());
  out.kind = route_match::outcome::method_not_allowed;
  for (auto v : allowed) {
    if (!out.allow.empty())
      out.allow += ", ";
    out.allow += to_string(v);
  }
  return out;
}

route_match router::match(verb method, std::string_view target) const {
  auto parsed = parse_target(target);
  if (!parsed)
    return route_match{};
  return match(method, parsed->segments);
}

} // namespace agora::net::http
