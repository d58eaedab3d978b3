"""Placeholder: being written this session."""


def rectification_list(request, pk=None):
    raise NotImplementedError


def rectification_detail(request, pk=None):
    raise NotImplementedError


def rectification_report(request, pk=None):
    raise NotImplementedError


def rectification_return(request, pk=None):
    raise NotImplementedError


def rectification_close(request, pk=None):
    raise NotImplementedError


def escalation_list(request, pk=None):
    raise NotImplementedError


def escalation_create(request, pk=None):
    raise NotImplementedError


def escalation_detail(request, pk=None):
    raise NotImplementedError


def escalation_close(request, pk=None):
    raise NotImplementedError

