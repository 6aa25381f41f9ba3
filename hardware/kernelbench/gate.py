# The KernelBench gate's parser. kforge builds this file in (embedded at build
# time), writes it beside a candidate and runs it in its sandbox with a time and
# memory limit: `python3 -I -B gate.py candidate.py report.json`. It never runs
# the candidate. It parses the candidate, NFKC-normalised (the form Python's own
# tokenizer gives identifiers, so `ｓｅｔａｔｔｒ` is `setattr`), with Python's
# `ast`, judges nodes (imports, names, attribute chains, calls, assignments) and
# writes a JSON report: the violations, the C++ of every load_inline call
# (constant-folded; kforge's native gate judges it), and whether ModelNew.forward
# launches a kernel of its own (`bypass`). hardware/gates/python_gate.hpp says
# what the rules are and why.
import ast
import json
import sys
import unicodedata

ALLOWED_MODULES = {"torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.utils.cpp_extension",
                   "math", "typing", "os", "os.path", "itertools", "collections", "collections.abc"}
FROM_ALLOWED = {"torch.utils.cpp_extension": {"load_inline", "CUDA_HOME"}, "os": {"path", "environ", "getenv", "makedirs",
                                                                    "cpu_count"}}

DYNAMIC = {"exec", "eval", "compile", "open", "__import__", "globals", "locals", "vars", "getattr", "setattr",
           "delattr", "breakpoint", "exit", "quit", "memoryview", "__builtins__", "__loader__", "__spec__"}
ALLOWED_DUNDERS = {"__init__", "__name__", "__doc__", "__version__", "__call__", "__repr__", "__len__",
                   "__file__"}
# Attribute chains that name a module or a class (a value that could be patched through an alias).
MODULE_PARTS = {"cuda", "nn", "functional", "backends", "utils", "cpp_extension", "path", "environ", "autograd",
                "init", "linalg", "fft", "special", "_C", "cudnn", "jit", "library", "amp"}
INTROSPECTION = {"_getframe", "f_back", "f_globals", "f_locals", "f_code", "f_builtins", "gi_frame", "cr_frame",
                 "tb_frame", "tb_next", "co_code", "func_globals"}
FORBIDDEN_ATTRS = {}
for _n in ("Stream", "stream", "ExternalStream", "set_stream", "Event", "record_stream", "CUDAGraph", "graph",
           "graphs", "_sleep", "elapsed_time", "make_graphed_callables"):
    FORBIDDEN_ATTRS[_n] = "streams of its own, events and graphs (work or timing the harness would not see)"
for _n in ("load", "load_library", "ops", "library", "jit_compile", "cpp_extension_load", "jiterator"):
    FORBIDDEN_ATTRS[_n] = "loading other code"
for _n in ("manual_seed", "seed", "set_rng_state", "get_rng_state", "Generator", "use_deterministic_algorithms",
           "initial_seed", "manual_seed_all"):
    FORBIDDEN_ATTRS[_n] = "random state belongs to the harness"
for _n in ("compile", "_dynamo", "_inductor", "export", "cudagraphs"):
    FORBIDDEN_ATTRS[_n] = "compilers of torch's own (not a kernel of the candidate's)"
# torch._C reaches torch's internals; its op namespaces are plain ATen operators (torch ops).
TORCH_C_OPS = {"_nn", "_fft", "_linalg", "_special", "_VariableFunctions"}
# What of `os` a kernel may use: the environment read, pure path functions, a build directory.
OS_ALLOWED = {"path", "environ", "getenv", "makedirs", "cpu_count", "sep"}
OS_PATH_ALLOWED = {"join", "dirname", "basename", "abspath", "exists", "isdir", "isfile", "splitext",
                   "realpath", "normpath", "expanduser"}
OS_ENV_WRITABLE = {"TORCH_CUDA_ARCH_LIST", "MAX_JOBS", "TORCH_EXTENSIONS_VERBOSE"}
# Settings under torch.backends (cudnn.benchmark, allow_tf32, ...): the harness reads none of them,
# and what they change in the output is judged by the correctness check.
ALLOWED_SETTINGS_PREFIX = "torch.backends."
LOAD_INLINE_KEYS = {"name", "cpp_sources", "cuda_sources", "functions", "extra_cflags", "extra_cuda_cflags",
                    "extra_ldflags", "verbose", "with_cuda", "is_python_module", "with_pytorch_error_handling",
                    "build_directory", "keep_intermediates", "use_pch"}
FLAG_PREFIXES = ("-O", "--use_fast_math", "-use_fast_math", "-std=", "--std=", "-arch=sm_", "-gencode",
                 "--expt-relaxed-constexpr", "--expt-extended-lambda", "-lineinfo", "-Xptxas", "--ptxas-options",
                 "-maxrregcount", "--maxrregcount", "-ftz=", "-prec-div=", "-prec-sqrt=", "-fmad=", "-w", "-Wno-",
                 "-res-usage", "--restrict", "-march=native", "-ffast-math", "-funroll-loops", "-D", "-U",
                 "-DNDEBUG", "--extra-device-vectorization", "-Xcompiler=-O", "-fno-", "-mavx", "-mfma")
LDFLAGS_ALLOWED = {"-lcublas", "-lcublasLt", "-lcudnn", "-lcurand", "-lcufft", "-lcusparse", "-lcusolver"}


class Gate(ast.NodeVisitor):
    def __init__(self, tree):
        self.tree = tree
        self.violations = []
        self.sources = []
        self.aliases = {}  # local name -> module or symbol it names ("torch", "torch.utils.cpp_extension", ...)
        self.strings = {}  # name -> list of assigned value nodes (for constant folding)
        self.func_stack = []
        self.mutated = set()  # names whose value is used through an attribute or stored into
        self.parents = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        self.unfoldable = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                parent = self.parents.get(node)
                direct = isinstance(parent, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node in (
                    getattr(parent, "targets", None) or [getattr(parent, "target", None)])
                if not direct:
                    self.unfoldable.add(node.id)  # a loop, with, walrus, tuple or del target
            if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.value, ast.Name):
                if isinstance(node, ast.Attribute) or isinstance(node.ctx, (ast.Store, ast.Del)):
                    self.mutated.add(node.value.id)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        self.strings.setdefault(t.id, []).append(node.value)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name) \
                    and node.value is not None:
                self.strings.setdefault(node.target.id, []).append(
                    node.value if isinstance(node, ast.AnnAssign) else ast.BinOp(
                        left=ast.Name(id=node.target.id, ctx=ast.Load()), op=node.op, right=node.value))

    def bad(self, node, text):
        self.violations.append({"line": getattr(node, "lineno", 0), "text": text})

    # --- what a name or an attribute chain stands for --------------------------------------------------
    def chain(self, node):
        """['torch', 'cuda', 'Event'] for torch.cuda.Event (aliases resolved), or None."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        root = self.aliases.get(node.id, node.id)
        return root.split(".") + list(reversed(parts))

    # --- imports --------------------------------------------------------------------------------------
    def visit_Import(self, node):
        for a in node.names:
            if a.name not in ALLOWED_MODULES:
                self.bad(node, "import of '%s' is not allowed (allowed: %s)" % (a.name, ", ".join(
                    sorted(ALLOWED_MODULES))))
            self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]

    def visit_ImportFrom(self, node):
        mod = "." * node.level + (node.module or "")
        for a in node.names:
            full = mod + "." + a.name
            ok = (mod in ALLOWED_MODULES and mod not in FROM_ALLOWED) or a.name in FROM_ALLOWED.get(mod, ())
            if full in ALLOWED_MODULES:
                ok = True
            if a.name == "*" or not ok:
                self.bad(node, "import of '%s' from '%s' is not allowed" % (a.name, mod))
            self.aliases[a.asname or a.name] = full

    # --- names and attributes -------------------------------------------------------------------------
    def local_names(self):
        names = set()
        for f in self.func_stack:
            for a in f.args.posonlyargs + f.args.args + f.args.kwonlyargs:
                names.add(a.arg)
            for extra in (f.args.vararg, f.args.kwarg):
                if extra is not None:
                    names.add(extra.arg)
            for n in ast.walk(f):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    names.add(n.id)
        return names

    def called_directly(self, node):
        parent = self.parents.get(node)
        return isinstance(parent, ast.Call) and parent.func is node

    def visit_Name(self, node):
        if self.aliases.get(node.id, "").endswith("load_inline") and not self.called_directly(node) and \
                not isinstance(self.parents.get(node), ast.alias):
            self.bad(node, "load_inline may only be called directly (so that the gate reads its sources)")
        if node.id in DYNAMIC and node.id not in self.local_names():
            self.bad(node, "'%s' is not allowed (dynamic code and introspection)" % node.id)
        elif node.id == "input" and node.id not in self.local_names():
            self.bad(node, "'input' is not allowed as the builtin (a parameter of that name is fine)")
        elif node.id.startswith("__") and node.id.endswith("__") and node.id not in ALLOWED_DUNDERS:
            self.bad(node, "'%s' is not allowed (introspection)" % node.id)
        elif self.aliases.get(node.id) == "os" or self.aliases.get(node.id, "").startswith("os."):
            self.check_os(node)

    def visit_Attribute(self, node):
        a = node.attr
        if a.startswith("__") and a.endswith("__") and a not in ALLOWED_DUNDERS:
            self.bad(node, "'.%s' is not allowed (introspection)" % a)
        elif a in INTROSPECTION:
            self.bad(node, "'.%s' is not allowed (introspection)" % a)
        elif a in FORBIDDEN_ATTRS:
            self.bad(node, "'.%s' is not allowed (%s)" % (a, FORBIDDEN_ATTRS[a]))
        c = self.chain(node)
        if a == "load_inline" and (not self.called_directly(node) or not c or c[0] != "torch"):
            self.bad(node, "load_inline may only be called directly as torch.utils.cpp_extension's")
        if c and c[0] == "torch":
            self.check_torch(node, c)
        # Only the outermost attribute of a chain judges it; the inner ones are its prefixes.
        if not isinstance(node.value, ast.Attribute):
            self.visit(node.value)
        else:
            self.visit_chain_inner(node.value)

    def visit_chain_inner(self, node):
        while isinstance(node, ast.Attribute):
            a = node.attr
            if a.startswith("__") and a.endswith("__") and a not in ALLOWED_DUNDERS:
                self.bad(node, "'.%s' is not allowed (introspection)" % a)
            elif a in INTROSPECTION or a in FORBIDDEN_ATTRS:
                why = FORBIDDEN_ATTRS.get(a, "introspection")
                self.bad(node, "'.%s' is not allowed (%s)" % (a, why))
            node = node.value
        self.visit(node)

    def check_torch(self, node, c):
        if self.is_inner(node):
            return
        for i, part in enumerate(c[1:], start=1):
            if part == "_C":
                if i + 1 < len(c) and c[i + 1] in TORCH_C_OPS and i + 2 < len(c) and not c[i + 2].startswith("_"):
                    return
                self.bad(node, "'%s' is not allowed (torch._C is torch's internals; only its operator "
                               "namespaces %s are torch ops)" % (".".join(c), ", ".join(sorted(TORCH_C_OPS))))
                return
            # torch.nn.init's fan computation is the one private helper nn.Linear-style init needs.
            if part == "_calculate_fan_in_and_fan_out" and c[:i] == ["torch", "nn", "init"]:
                return
            if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
                self.bad(node, "'%s' is not allowed (private parts of torch)" % ".".join(c))
                return

    def is_inner(self, node):
        return isinstance(self.parents.get(node), ast.Attribute)

    def check_os(self, name):
        """`os` (or a name imported from it) only as its allowed uses."""
        root = self.aliases.get(name.id)
        node = name
        parts = root.split(".")[1:]
        while isinstance(self.parents.get(node), ast.Attribute):
            node = self.parents[node]
            parts.append(node.attr)
        if not parts or parts[0] not in OS_ALLOWED:
            self.bad(name, "'%s' is not allowed (of os only the environment, os.path's path functions, "
                           "makedirs and cpu_count)" % ".".join(["os"] + parts))
            return
        if parts[0] == "path" and (len(parts) < 2 or parts[1] not in OS_PATH_ALLOWED):
            self.bad(name, "'%s' is not allowed (os.path: %s)" % (".".join(["os"] + parts), ", ".join(
                sorted(OS_PATH_ALLOWED))))
        if parts[0] == "environ":
            parent = self.parents.get(node)
            if len(parts) == 1 and isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store):
                key = parent.slice
                if not (isinstance(key, ast.Constant) and key.value in OS_ENV_WRITABLE):
                    self.bad(name, "os.environ may be written only for %s (build settings)" % ", ".join(
                        sorted(OS_ENV_WRITABLE)))
            elif len(parts) > 1 and parts[1] not in ("get", "keys", "items"):
                self.bad(name, "'os.environ.%s' is not allowed (the environment may be read)" % parts[1])
            elif len(parts) == 1 and not isinstance(parent, (ast.Subscript, ast.Compare)):
                self.bad(name, "os.environ may only be read by key")

    # --- assignments ---------------------------------------------------------------------------------
    def target_ok(self, t):
        """Attribute targets: `self.x`, `ctx.x` of an autograd Function, or an allowed setting."""
        if not isinstance(t, ast.Attribute):
            return True
        c = self.chain(t)
        if c and ".".join(c).startswith(ALLOWED_SETTINGS_PREFIX) and not any(p.startswith("_") for p in c):
            return True
        root = t
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return False
        if root.id == "self" and self.func_stack and self.first_param() == "self":
            return True
        return root.id == "ctx" and isinstance(t.value, ast.Name) and self.first_param() == "ctx"

    def first_param(self):
        if not self.func_stack:
            return None
        f = self.func_stack[-1]
        args = f.args.posonlyargs + f.args.args
        if not args:
            return None
        name = args[0].arg
        for n in ast.walk(f):
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, (ast.Store, ast.Del)):
                return None
        return name

    def check_targets(self, node, targets, value):
        for t in targets:
            for sub in ast.walk(t):
                if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, (ast.Store, ast.Del)) \
                        and not self.target_ok(sub):
                    self.bad(node, "'%s' assigns to an attribute of something other than self "
                                   "(monkey-patching is not allowed)" % ast.unparse(sub))
            # `self.x = torch.cuda` would let `self.x.y = ...` patch torch.
            if isinstance(t, ast.Attribute) and value is not None and isinstance(value, (ast.Name, ast.Attribute)):
                if names_module_or_class(self, value):
                    self.bad(node, "'%s = %s' keeps a module or class in an attribute (not allowed)" % (
                        ast.unparse(t), ast.unparse(value)))

    def visit_Assign(self, node):
        self.check_targets(node, node.targets, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self.check_targets(node, [node.target], None)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self.check_targets(node, [node.target], node.value)
        self.generic_visit(node)

    def visit_Delete(self, node):
        self.check_targets(node, node.targets, None)
        self.generic_visit(node)

    def visit_Global(self, node):
        for n in node.names:
            if n in ("torch", "nn", "F") or n in self.aliases:
                self.bad(node, "'global %s' rebinds an imported module" % n)

    def visit_FunctionDef(self, node):
        for d in node.decorator_list:
            self.visit(d)
        self.func_stack.append(node)
        for stmt in node.body:
            self.visit(stmt)
        for d in node.args.defaults + node.args.kw_defaults:
            if d is not None:
                self.visit(d)
        self.func_stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self.generic_visit(node)

    # --- calls: load_inline ---------------------------------------------------------------------------
    def visit_Call(self, node):
        c = self.chain(node.func)
        if c and c[-1] == "load_inline" and c[0] == "torch":
            self.load_inline(node)
        # A module or class handed to other code could be patched there (`f(torch.Tensor)`).
        if not (isinstance(node.func, ast.Name) and node.func.id in ("isinstance", "issubclass", "super", "hasattr")):
            for a in list(node.args) + [k.value for k in node.keywords]:
                if isinstance(a, (ast.Name, ast.Attribute)) and names_module_or_class(self, a):
                    self.bad(node, "'%s' hands a module or class to other code (not allowed)" % ast.unparse(a))
        self.generic_visit(node)

    def consts(self, node, depth=0):
        """The constant values `node` can have (strings, numbers, lists of them; a list of
        alternatives, at most 16), or None when one is not a constant the gate can see."""
        if depth > 40:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
            return [node.value]
        if isinstance(node, ast.Name):
            values = self.strings.get(node.id)
            if not values or node.id in self.unfoldable:
                return None
            if node.id in self.mutated and any(isinstance(v, (ast.List, ast.Tuple)) for v in values):
                return None  # a list that is appended to or stored into is not the constant it started as
            out = []
            for v in values:
                f = self.consts(v, depth + 1)
                if f is None:
                    return None
                out.extend(f)
            return out[:16]
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            a, b = self.consts(node.left, depth + 1), self.consts(node.right, depth + 1)
            if a is None or b is None:
                return None
            out = []
            for x in a:
                for y in b:
                    try:
                        if isinstance(node.op, ast.Add) and type(x) is type(y):
                            out.append(x + y)
                        elif isinstance(node.op, ast.Mod) and isinstance(x, str):
                            out.append(x % (tuple(y) if isinstance(y, list) else y))
                        else:
                            return None
                    except (TypeError, ValueError):
                        return None
            return out[:16]
        if isinstance(node, (ast.List, ast.Tuple)):
            out = [[]]
            for e in node.elts:
                f = self.consts(e, depth + 1)
                if f is None:
                    return None
                out = [o + [v] for o in out for v in f][:16]
            return out
        if isinstance(node, ast.IfExp):
            a, b = self.consts(node.body, depth + 1), self.consts(node.orelse, depth + 1)
            return None if a is None or b is None else (a + b)[:16]
        if isinstance(node, ast.JoinedStr):
            outs = [""]
            for v in node.values:
                if isinstance(v, ast.Constant):
                    outs = [o + str(v.value) for o in outs]
                    continue
                if not isinstance(v, ast.FormattedValue) or v.format_spec is not None or v.conversion != -1:
                    return None
                f = self.consts(v.value, depth + 1)
                if f is None:
                    return None
                outs = [o + str(x) for o in outs for x in f][:16]
            return outs
        return None

    def fold(self, node):
        """The C++ texts a sources argument can be (a list joined by newlines), or None."""
        values = self.consts(node)
        if values is None:
            return None
        out = []
        for v in values:
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, list) and all(isinstance(x, str) for x in v):
                out.append("\n".join(v))
            else:
                return None
        return out

    def fold_list(self, node):
        """Every string of every list a flags argument can be, or None."""
        values = self.consts(node)
        if values is None or not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in values):
            return None
        return [x for v in values for x in v]

    def first_line(self, node):
        """The candidate's line of the C++ text's first line when it is one literal, else 0."""
        if isinstance(node, ast.Name):
            values = self.strings.get(node.id) or []
            if len(values) == 1:
                node = values[0]
        return node.lineno if isinstance(node, ast.Constant) and isinstance(node.value, str) else 0

    def load_inline(self, node):
        if len(node.args) > 3:
            self.bad(node, "load_inline: pass its arguments after the sources by keyword")
        kinds = {1: "cpp", 2: "cuda"}
        for i, a in enumerate(node.args):
            if i in kinds:
                self.take_source(node, a, kinds[i])
        for k in node.keywords:
            if k.arg is None:
                self.bad(node, "load_inline: **kwargs hides its arguments from the gate")
                continue
            if k.arg == "extra_include_paths" and self.fold_list(k.value) == []:
                continue  # an empty list adds no header of elsewhere
            if k.arg not in LOAD_INLINE_KEYS:
                self.bad(node, "load_inline: argument '%s' is not allowed" % k.arg)
            elif k.arg in ("cpp_sources", "cuda_sources"):
                self.take_source(node, k.value, "cpp" if k.arg == "cpp_sources" else "cuda")
            elif k.arg in ("extra_cflags", "extra_cuda_cflags", "extra_ldflags"):
                flags = self.fold_list(k.value)
                if flags is None:
                    self.bad(node, "load_inline: %s must be a list of string constants" % k.arg)
                    continue
                for f in flags:
                    if f.strip() == "":
                        continue
                    if k.arg == "extra_ldflags" or f in LDFLAGS_ALLOWED:
                        if f not in LDFLAGS_ALLOWED:
                            self.bad(node, "load_inline: linker flag '%s' is not allowed (allowed: %s)" % (
                                f, ", ".join(sorted(LDFLAGS_ALLOWED))))
                    elif not f.startswith(FLAG_PREFIXES) or any(s in f for s in ("plugin", "-include", "/")):
                        self.bad(node, "load_inline: compiler flag '%s' is not allowed" % f)
                    elif f.startswith(("-D", "-U")):
                        self.sources.append({"line": node.lineno, "kind": "cpp",
                                             "text": "#define " + f[2:].replace("=", " ", 1) + "\n"})

    def take_source(self, call, node, kind):
        if isinstance(node, ast.Constant) and node.value is None:
            return
        values = self.fold(node)
        if values is None:
            self.bad(call, "load_inline: the %s sources must be string constants (or names bound to them) so "
                           "that the gate can read them" % kind)
            return
        base = self.first_line(node)
        for v in values:
            self.sources.append({"line": call.lineno, "kind": kind, "text": v, "base": base})


def names_module_or_class(gate, value):
    """True when `value` (a name or an attribute chain) names an imported module, one of its
    submodules, or a class of one (torch.Tensor, torch.cuda, nn.Module)."""
    if isinstance(value, ast.Name) and value.id in gate.aliases:
        full = gate.aliases[value.id]
        last = full.split(".")[-1]
        return full == value.id or last in MODULE_PARTS or last[:1].isupper() or full in ALLOWED_MODULES
    c = gate.chain(value)
    if not c or c[0] not in ("torch", "math", "os", "typing"):
        return False
    # Legacy tensor types (torch.cuda.FloatTensor in x.view(...)) are data types here, not classes
    # a candidate could patch through: torch.Tensor itself is.
    if c[-1].endswith("Tensor") and c[-1] != "Tensor":
        return False
    return c[-1] in MODULE_PARTS or c[-1][:1].isupper()


# --- bypass: does ModelNew.forward launch a kernel of its own? --------------------------------------------
def extension_names(tree):
    """Names (module-level) and self attributes that hold a load_inline module, and the functions that
    return or set one."""
    def calls_load_inline(node):
        for n in ast.walk(node):
            if isinstance(n, ast.Call):
                f = n.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if name == "load_inline":
                    return True
        return False
    loaders = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and calls_load_inline(n):
            loaders.add(n.name)
    names, attrs = set(), set()
    changed = True
    while changed:
        changed = False
        for n in ast.walk(tree):
            if isinstance(n, ast.Assign):
                v = n.value
                holds = calls_load_inline(v) or any(
                    isinstance(s, ast.Call) and isinstance(s.func, ast.Name) and s.func.id in loaders
                    for s in ast.walk(v)) or root_name(v) in names
                if not holds:
                    continue
                for t in n.targets:
                    for s in ast.walk(t):
                        if isinstance(s, ast.Name) and s.id not in names:
                            names.add(s.id)
                            changed = True
                        if isinstance(s, ast.Attribute) and s.attr not in attrs:
                            attrs.add(s.attr)
                            changed = True
    return names, attrs


def root_name(node):
    """The name an attribute chain starts from (`ext` of ext.fn), or None."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def judge_bypass(tree):
    """'' when ModelNew.forward reaches a call into a load_inline extension outside a fallback, else why."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    funcs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    model = classes.get("ModelNew")
    if model is None:
        return ""
    methods = {m.name: m for m in model.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if "forward" not in methods:
        return ""
    names, attrs = extension_names(tree)
    seen = set()
    found = []  # (call node, inside a try whose handler falls back)

    def is_ext_call(call):
        f = call.func
        root = f
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in names and root is not f:
            return True
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Attribute) and \
                isinstance(f.value.value, ast.Name) and f.value.value.id == "self" and f.value.attr in attrs:
            return True
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self" and \
                f.attr in attrs:
            return True
        return False

    def falls_back(handler):
        return not any(isinstance(s, ast.Raise) for s in ast.walk(handler))

    def visit(fn, fallback):
        if id(fn) in seen:
            return
        seen.add(id(fn))
        walk(fn.body, fallback)

    def scan(node, fallback):
        for n in ast.walk(node):
            if not isinstance(n, ast.Call):
                continue
            f = n.func
            if is_ext_call(n):
                found.append((n, fallback))
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self" \
                    and f.attr in methods:
                visit(methods[f.attr], fallback)
            elif isinstance(f, ast.Name) and f.id in funcs:
                visit(funcs[f.id], fallback)
            elif isinstance(f, ast.Attribute) and f.attr == "apply" and isinstance(f.value, ast.Name) \
                    and f.value.id in classes:
                for m in classes[f.value.id].body:
                    if isinstance(m, ast.FunctionDef) and m.name == "forward":
                        visit(m, fallback)
            elif isinstance(f, ast.Name) and f.id in classes:
                for m in classes[f.id].body:
                    if isinstance(m, ast.FunctionDef) and m.name in ("__init__", "forward", "__call__"):
                        visit(m, fallback)
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self":
                # self.layer(x): a submodule of one of the candidate's own classes runs its forward.
                for cls in classes.values():
                    if cls.name != "ModelNew":
                        for m in cls.body:
                            if isinstance(m, ast.FunctionDef) and m.name == "forward":
                                visit(m, fallback)

    def walk(stmts, fallback):
        for s in stmts:
            if isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
                walk(s.body, fallback or any(falls_back(h) for h in s.handlers))
                for h in s.handlers:
                    walk(h.body, fallback)
                walk(s.orelse, fallback)
                walk(s.finalbody, fallback)
            elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            elif isinstance(s, (ast.If, ast.While)):
                scan(s.test, fallback)
                walk(s.body, fallback)
                walk(s.orelse, fallback)
            elif isinstance(s, (ast.For, ast.AsyncFor)):
                scan(s.iter, fallback)
                walk(s.body, fallback)
                walk(s.orelse, fallback)
            elif isinstance(s, (ast.With, ast.AsyncWith)):
                for item in s.items:
                    scan(item.context_expr, fallback)
                walk(s.body, fallback)
            else:
                scan(s, fallback)

    visit(methods["forward"], False)
    if not found:
        return "ModelNew.forward calls no function of a load_inline extension: it launches no kernel of its " \
               "own (only torch ops)"
    if all(fb for _, fb in found):
        return "every call of ModelNew.forward into its extension (line %d) sits in a try whose except falls " \
               "back to other code" % found[0][0].lineno
    return ""


def main():
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    report = {"violations": [], "sources": [], "bypass": ""}
    try:
        text = unicodedata.normalize("NFKC", raw.decode("utf-8"))
        tree = ast.parse(text, filename="candidate.py")
        ast.parse(raw, filename="candidate.py")  # what Python will run must parse too
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError) as e:
        report["violations"].append({"line": getattr(e, "lineno", 0) or 0,
                                     "text": "the candidate does not parse: %s" % (type(e).__name__ + ": " +
                                                                                  str(e))[:300]})
        tree = None
    if tree is not None:
        g = Gate(tree)
        try:
            g.visit(tree)
            report["bypass"] = judge_bypass(tree)
        except RecursionError:
            g.bad(tree, "the candidate nests too deeply for the gate")
        report["violations"].extend(g.violations)
        report["sources"] = g.sources
        if not any((isinstance(n, ast.ClassDef) and n.name == "ModelNew") or
                   (isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "ModelNew"
                                                      for t in n.targets)) for n in tree.body):
            report["violations"].append({"line": 0, "text": "the candidate never defines ModelNew"})
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main()
