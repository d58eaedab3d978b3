"""Placeholder: being written this session."""


def draw_list(request, pk=None):
    raise NotImplementedError


def draw_create(request, pk=None):
    raise NotImplementedError


def draw_detail(request, pk=None):
    raise NotImplementedError


def visit_list(request, pk=None):
    raise NotImplementedError


def visit_detail(request, pk=None):
    raise NotImplementedError


def visit_record(request, pk=None):
    raise NotImplementedError

