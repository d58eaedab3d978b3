"""Placeholder: being written this session."""


def notice_list(request, pk=None):
    raise NotImplementedError


def notice_create(request, pk=None):
    raise NotImplementedError


def notice_detail(request, pk=None):
    raise NotImplementedError


def notice_edit(request, pk=None):
    raise NotImplementedError


def notice_issue(request, pk=None):
    raise NotImplementedError


def notice_pdf(request, pk=None):
    raise NotImplementedError


def inspection_list(request, pk=None):
    raise NotImplementedError


def inspection_create(request, pk=None):
    raise NotImplementedError


def inspection_detail(request, pk=None):
    raise NotImplementedError

