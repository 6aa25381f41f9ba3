#include "hardware/kernelbench/operator.hpp"

#include "hardware/gates/source_lexer.hpp"

#include <regex>
#include <set>
#include <utility>

namespace kforge::hardware {

namespace {

// A float literal as a CUDA/Python number ("-1." -> "-1.0").
std::string number(std::string s) {
  if (!s.empty() && s.back() == '.')
    s += "0";
  return s;
}

}  // namespace

std::string forward_return(std::string_view source) {
  // The forward of class Model: a problem may define helper modules with forwards of their own.
  auto model = source.find("class Model");
  auto at = source.find("def forward", model == std::string_view::npos ? 0 : model);
  if (at == std::string_view::npos)
    return {};
  auto pos = source.find('\n', at);
  while (pos != std::string_view::npos) {
    auto start = pos + 1;
    auto end = source.find('\n', start);
    auto line = source.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos && line.substr(first, 7) == "return ")
      return without_spaces(line.substr(first + 7));
    if (first != std::string_view::npos && line.substr(first, 4) == "def ")
      return {};
    pos = end;
  }
  return {};
}

std::string kernelbench_supported_kinds() {
  return "relu, leaky_relu, sigmoid, tanh, swish, gelu, selu, hardsigmoid, softplus, softsign, elu, "
         "hardtanh, "
         "new_gelu (elementwise, one float32 input)";
}

std::optional<kernelbench_op> recognise_kernelbench_op(std::string_view source) {
  auto r = forward_return(source);
  if (r.empty())
    return std::nullopt;
  auto ew = [](std::string kind, std::string expr) {
    kernelbench_op op;
    op.kind = std::move(kind);
    op.family = "kb_elementwise";
    op.cuda_expr = std::move(expr);
    return op;
  };
  static const std::set<std::string> relu = {"torch.relu(x)", "F.relu(x)", "torch.nn.functional.relu(x)"};
  if (relu.count(r) != 0)
    return ew("relu", "fmaxf(v, 0.0f)");
  if (r == "torch.sigmoid(x)" || r == "F.sigmoid(x)")
    return ew("sigmoid", "1.0f / (1.0f + expf(-v))");
  if (r == "torch.tanh(x)" || r == "F.tanh(x)")
    return ew("tanh", "tanhf(v)");
  if (r == "x*torch.sigmoid(x)")
    return ew("swish", "v / (1.0f + expf(-v))");
  if (r == "torch.nn.functional.gelu(x)" || r == "F.gelu(x)")
    return ew("gelu", "0.5f * v * (1.0f + erff(v * 0.70710678118654752f))");
  if (r == "torch.selu(x)" || r == "F.selu(x)")
    return ew("selu", "1.0507009873554804934f * (v > 0.0f ? v : 1.6732632423543772848f * expm1f(v))");
  if (r == "torch.nn.functional.hardsigmoid(x)" || r == "F.hardsigmoid(x)")
    return ew("hardsigmoid", "fminf(fmaxf(v + 3.0f, 0.0f), 6.0f) / 6.0f");
  if (r == "torch.nn.functional.softplus(x)" || r == "F.softplus(x)")
    return ew("softplus", "v > 20.0f ? v : log1pf(expf(v))");
  if (r == "x/(1+torch.abs(x))")
    return ew("softsign", "v / (1.0f + fabsf(v))");
  if (r == "0.5*x*(1.0+torch.tanh(math.sqrt(2.0/math.pi)*(x+0.044715*torch.pow(x,3.0))))")
    return ew("new_gelu", "0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)))");
  std::smatch m;
  static const std::regex leaky{
      R"(^(?:torch\.nn\.functional|F)\.leaky_relu\(x,negative_slope=(self\.\w+|[-0-9.e]+)\)$)"};
  if (std::regex_match(r, m, leaky)) {
    auto op = ew("leaky_relu", "v > 0.0f ? v : v * p0");
    op.p0 = number(m[1].str());
    return op;
  }
  static const std::regex elu{R"(^(?:torch\.nn\.functional|F)\.elu\(x,alpha=(self\.\w+|[-0-9.e]+)\)$)"};
  if (std::regex_match(r, m, elu)) {
    auto op = ew("elu", "v > 0.0f ? v : p0 * expm1f(v)");
    op.p0 = number(m[1].str());
    return op;
  }
  static const std::regex hardtanh{
      R"(^(?:torch\.nn\.functional|F)\.hardtanh\(x,min_val=([-0-9.e]+),max_val=([-0-9.e]+)\)$)"};
  if (std::regex_match(r, m, hardtanh)) {
    auto op = ew("hardtanh", "fminf(fmaxf(v, p0), p1)");
    op.p0 = number(m[1].str());
    op.p1 = number(m[2].str());
    return op;
  }
  return std::nullopt;
}

}  // namespace kforge::hardware
