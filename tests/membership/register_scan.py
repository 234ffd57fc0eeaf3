"""A static scan for writes to the share register's models (issue #7, "Every write through
services"). Used by test_register_writes.py; kept apart so the test can also feed it snippets.

What counts as a write: a call of `.create(`, `.save(`, `.update(`, `.delete(`,
`.bulk_create(`, `.get_or_create(`, `.update_or_create(` or `.bulk_update(` on something that
is (or comes from) a register model:

- the model class, or anything chained on it: `Member.objects.filter(...).update(...)`,
  `Member(...).save()`;
- a variable bound to such a thing (assignment, `for`, `with`, comprehension), followed
  through the function: `m = Member.objects.get(...)`, then `m.save()`; `for model in
  [Member, ...]: model.objects.bulk_create(...)`;
- a parameter annotated with a register model (`member: Member`) or given a register model by
  a call in the same file; any variable named like a register record (`member`, `payment`,
  ...), wherever its value comes from;
- a relation to the register: `payment.member.save()`, `member.certificates.update(...)`.

And two ways the admin writes without a visible call:

- a ModelAdmin registered for a register model that is not read-only writes through Django's
  default `save_model` (`obj.save()`) and `delete_model` unless it defines its own save (a
  `save_model`, or `save_by_service` of coop.admin_base.ServiceSaveMixin) and refuses deletion
  (`has_delete_permission`); inside it, `form.save()`, `formset.save()` and
  `super().save_model(...)` are writes;
- an inline of a register model that is not read-only saves its formset.

A static scan cannot see everything (`getattr(obj, "save")()`, raw SQL): it is a tripwire for
the ordinary ways of writing, not a proof.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

# The share register: what the ledger will post a journal entry for when it moves (see
# docs/architecture.md, "Every write through services" for why each is in or out).
REGISTER_MODELS = frozenset({
    "StakeholderClass",  # the price a subscription freezes, the buy-in that activates
    "Member",
    "ShareSubscription",
    "SharePayment",  # payments and their reversals
    "ShareCertificate",
    "RegisterEvent",
    "Redemption",
})

WRITE_METHODS = frozenset({"create", "save", "update", "delete", "bulk_create", "get_or_create",
                           "update_or_create", "bulk_update"})

# Attributes that lead from any record to a register record or queryset.
RELATIONS = frozenset({"member", "members", "subscription", "payments", "payment",
                       "certificates", "certificate", "register_events", "events", "redemption",
                       "reversal", "reverses", "stakeholder_class"})

# Names under which code holds register records: a variable or parameter so named is one,
# wherever its value comes from (a selector, a service, another module).
RECORD_NAMES = frozenset({"member", "members", "subscription", "subscriptions", "payment",
                          "payments", "reversal", "certificate", "certificates", "redemption",
                          "redemptions", "stakeholder_class", "register_event"})

ALLOWED = ("membership/services.py", "membership/services/")
SKIPPED_DIRS = {".venv", "venv", "node_modules", "migrations", "tests", ".git", "__pycache__",
                "static", "staticfiles"}


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.what}"


def _names_in_target(target) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for element in target.elts for n in _names_in_target(element)]
    if isinstance(target, ast.Starred):
        return _names_in_target(target.value)
    return []


class _Scope:
    def __init__(self, node, parent=None):
        self.node = node
        self.parent = parent
        self.tainted: set[str] = set()

    def is_tainted(self, name: str) -> bool:
        scope = self
        while scope is not None:
            if name in scope.tainted:
                return True
            scope = scope.parent
        return False


class _FileScan:
    def __init__(self, tree: ast.Module, path: str):
        self.tree = tree
        self.path = path
        self.models = set(REGISTER_MODELS)
        self.findings: list[Finding] = []
        self.scopes: dict[ast.AST, _Scope] = {}
        self.functions: dict[str, list[ast.AST]] = {}
        self.tainted_params: dict[str, set[str]] = {}  # same-file function -> tainted params

    # --- what refers to the register ------------------------------------------------------

    def register_ish(self, expr, scope: _Scope) -> bool:
        if isinstance(expr, ast.Name):
            return (expr.id in self.models or expr.id in RECORD_NAMES
                    or scope.is_tainted(expr.id))
        if isinstance(expr, ast.Attribute):
            return (expr.attr in self.models or expr.attr in RELATIONS
                    or self.register_ish(expr.value, scope))
        if isinstance(expr, ast.Call):
            if self.register_ish(expr.func, scope):
                return True
            # get_object_or_404(Member, ...), write(Member, rows), _lock_member(member)...
            return any(self.register_ish(arg, scope) for arg in expr.args
                       if isinstance(arg, (ast.Name, ast.Attribute)))
        if isinstance(expr, ast.Subscript):
            return self.register_ish(expr.value, scope)
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return any(self.register_ish(e, scope) for e in expr.elts)
        if isinstance(expr, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return (self.register_ish(expr.elt, scope)
                    or any(self.register_ish(g.iter, scope) for g in expr.generators))
        if isinstance(expr, ast.IfExp):
            return self.register_ish(expr.body, scope) or self.register_ish(expr.orelse, scope)
        if isinstance(expr, ast.BoolOp):
            return any(self.register_ish(v, scope) for v in expr.values)
        if isinstance(expr, ast.Starred):
            return self.register_ish(expr.value, scope)
        if isinstance(expr, ast.Await):
            return self.register_ish(expr.value, scope)
        return False

    # --- scopes and taint ---------------------------------------------------------------------

    def _build_scopes(self) -> None:
        module = _Scope(self.tree)
        self.scopes[self.tree] = module

        def visit(node, scope):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    inner = _Scope(child, scope)
                    self.scopes[child] = inner
                    if not isinstance(child, ast.Lambda):
                        self.functions.setdefault(child.name, []).append(child)
                    visit(child, inner)
                else:
                    visit(child, scope)

        visit(self.tree, module)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name in REGISTER_MODELS and alias.asname:
                        self.models.add(alias.asname)

    def _scope_of(self, node) -> _Scope:
        return self._owner.get(node, self.scopes[self.tree])

    def _index_owners(self) -> None:
        self._owner: dict[ast.AST, _Scope] = {}

        def visit(node, scope):
            for child in ast.iter_child_nodes(node):
                self._owner[child] = scope
                visit(child, self.scopes.get(child, scope))

        visit(self.tree, self.scopes[self.tree])

    def _taint_params(self) -> bool:
        changed = False
        for name, nodes in self.functions.items():
            for function in nodes:
                scope = self.scopes[function]
                arguments = function.args
                params = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
                for param in params:
                    annotated = (param.annotation is not None
                                 and any(isinstance(n, ast.Name) and n.id in self.models
                                         for n in ast.walk(param.annotation)))
                    if (annotated or param.arg in RECORD_NAMES
                            or param.arg in self.tainted_params.get(name, set())) \
                            and param.arg not in scope.tainted:
                        scope.tainted.add(param.arg)
                        changed = True
        return changed

    def _propagate(self) -> bool:
        changed = False
        for node in ast.walk(self.tree):
            scope = self._scope_of(node)
            targets, value = [], None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                targets, value = [node.target], node.value
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                targets, value = [node.target], node.iter
            elif isinstance(node, ast.comprehension):
                targets, value = [node.target], node.iter
                scope = self._scope_of(node.iter)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                targets, value = [node.optional_vars], node.context_expr
                scope = self._scope_of(node.context_expr)
            elif isinstance(node, ast.NamedExpr):
                targets, value = [node.target], node.value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in self.functions:
                # A register thing passed to a function of this file taints its parameter.
                for function in self.functions[node.func.id]:
                    params = [p.arg for p in (*function.args.posonlyargs, *function.args.args)]
                    passed = [(params[i] if i < len(params) else None, arg)
                              for i, arg in enumerate(node.args)]
                    passed += [(k.arg, k.value) for k in node.keywords]
                    for param, arg in passed:
                        if param and self.register_ish(arg, scope):
                            seen = self.tainted_params.setdefault(node.func.id, set())
                            if param not in seen:
                                seen.add(param)
                                changed = True
                continue
            if value is None or not self.register_ish(value, scope):
                continue
            for target in targets:
                for name in _names_in_target(target):
                    if name not in scope.tainted:
                        scope.tainted.add(name)
                        changed = True
        return changed

    # --- findings -----------------------------------------------------------------------------

    def _calls(self) -> None:
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in WRITE_METHODS):
                continue
            receiver = node.func.value
            if self.register_ish(receiver, self._scope_of(node)):
                self.findings.append(Finding(self.path, node.lineno,
                                             f"{ast.unparse(node.func)}(...)"))

    def _registered_models(self, cls: ast.ClassDef) -> set[str]:
        models = set()
        for decorator in cls.decorator_list:
            if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("register"):
                models |= {a.id for a in decorator.args if isinstance(a, ast.Name)}
        for node in ast.walk(self.tree):
            if (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("site.register")
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Name)
                    and node.args[1].id == cls.name and isinstance(node.args[0], ast.Name)):
                models.add(node.args[0].id)
        return models & self.models

    def _admins(self) -> None:
        for cls in ast.walk(self.tree):
            if not isinstance(cls, ast.ClassDef):
                continue
            bases = [ast.unparse(b) for b in cls.bases]
            read_only = any("ReadOnly" in b for b in bases)
            methods = {n.name: n for n in cls.body
                       if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            inline_model = next(
                (ast.unparse(n.value) for n in cls.body if isinstance(n, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == "model" for t in n.targets)), None)
            if any(b.endswith("Inline") for b in bases) and inline_model in self.models \
                    and not read_only:
                self.findings.append(Finding(self.path, cls.lineno,
                                             f"inline {cls.name} saves {inline_model} rows"))
            models = self._registered_models(cls)
            if not models:
                continue
            for method in methods.values():
                scope = self.scopes[method]
                scope.tainted |= {"obj", "form", "formset", "formsets", "queryset"}
                for node in ast.walk(method):
                    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                            and node.func.attr == "save_model"
                            and isinstance(node.func.value, ast.Call)
                            and ast.unparse(node.func.value.func) == "super"):
                        self.findings.append(Finding(self.path, node.lineno,
                                                     "super().save_model(...)"))
            if read_only:
                continue
            named = ", ".join(sorted(models))
            if "save_model" not in methods and "save_by_service" not in methods:
                self.findings.append(Finding(
                    self.path, cls.lineno,
                    f"admin {cls.name} saves {named} with Django's default save_model"))
            if "has_delete_permission" not in methods:
                self.findings.append(Finding(
                    self.path, cls.lineno,
                    f"admin {cls.name} deletes {named} with Django's default delete_model"))

    def run(self) -> list[Finding]:
        self._build_scopes()
        self._index_owners()
        self._admins()  # marks the admin methods' obj/form as register records
        for _ in range(20):
            if not (self._taint_params() | self._propagate()):
                break
        self._calls()
        return sorted(set(self.findings))


def scan_source(source: str, path: str = "<snippet>") -> list[Finding]:
    return _FileScan(ast.parse(source), path).run()


def project_files(root: Path) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in parts[:-1]):
            continue
        files.append(path)
    return files


def scan_project(root: Path) -> list[Finding]:
    findings = []
    for path in project_files(root):
        relative = path.relative_to(root).as_posix()
        if relative == ALLOWED[0] or relative.startswith(ALLOWED[1]):
            continue
        findings += scan_source(path.read_text(encoding="utf-8"), relative)
    return findings
