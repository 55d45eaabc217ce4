"""factory_boy factories for the jobs domain. Rows are created directly (fixtures), not through services,
unless a test is about the service."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from jobs.models import (
    Application,
    Category,
    Employer,
    EmploymentType,
    JobPosting,
    PostingStatus,
    Seeker,
    VerificationStatus,
    WageType,
)
from jobs.text import content_fingerprint


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    is_staff = True
    password = factory.django.Password("correct-horse-battery")


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer

    external_id = factory.Sequence(lambda n: f"e-{n:06d}")
    business_name = factory.Sequence(lambda n: f"행복식당 {n}호점")
    business_number = factory.Sequence(lambda n: f"{1000000000 + n}")
    phone = "02-555-0100"
    region_code = "1168010100"
    verification_status = VerificationStatus.VERIFIED


class SeekerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seeker

    external_id = factory.Sequence(lambda n: f"s-{n:06d}")
    display_name = factory.Sequence(lambda n: f"김민준{n}")
    phone = "010-0000-0000"
    birth_year = 1995
    region_code = "1144012400"


class JobPostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobPosting

    external_id = factory.Sequence(lambda n: f"p-{n:07d}")
    employer = factory.SubFactory(EmployerFactory)
    title = factory.Sequence(lambda n: f"주말 홀서빙 알바 {n}")
    description = "역삼역 근처 식당에서 주말 홀서빙 하실 분을 찾습니다. 식사 제공."
    employment_type = EmploymentType.PART_TIME
    wage_type = WageType.HOURLY
    wage_amount = 11_000
    hours_per_week = 16
    region_code = "1168010100"
    category = Category.FOOD_SERVICE
    status = PostingStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=14))
    content_fingerprint = factory.LazyAttribute(lambda p: content_fingerprint(p.title, p.description))


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    external_id = factory.Sequence(lambda n: f"a-{n:08d}")
    posting = factory.SubFactory(JobPostingFactory)
    seeker = factory.SubFactory(SeekerFactory)
    message = "안녕하세요, 지원합니다."
